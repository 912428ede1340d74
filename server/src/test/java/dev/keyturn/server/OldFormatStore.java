package dev.keyturn.server;

import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Turns a SQLite store a server wrote into one as the code before integrity protection left it: no
 * row MACs or generations, no metadata key, no {@code integrity.*} records, and a chain (sealed
 * again with the root key, as that code sealed it) of the records {@code keep} keeps. For stores
 * without secrets (their values would need the old associated data too).
 */
final class OldFormatStore {
  private OldFormatStore() {}

  static void downgrade(Path data, Predicate<AuditEvent> keep) throws Exception {
    RootKey key = RootKey.fromBase64(Files.readString(data.resolve("root.key")));
    AuditChain chain = new AuditChain(key);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("keyturn.db"))) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM secrets")) {
          rs.next();
          if (rs.getLong(1) > 0) {
            throw new IllegalStateException("only for stores without secrets");
          }
        }
        st.executeUpdate("UPDATE tokens SET mac = NULL, generation = 0");
        st.executeUpdate("UPDATE rules SET mac = NULL, generation = 0");
        st.executeUpdate("DELETE FROM settings WHERE key = 'metadata-key'");
      }
      List<AuditEvent> events = new ArrayList<>();
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT time, token_id, client, action, secret, version, result, detail"
                      + " FROM audit ORDER BY seq")) {
        while (rs.next()) {
          int version = rs.getInt(6);
          Optional<Integer> v = rs.wasNull() ? Optional.empty() : Optional.of(version);
          AuditEvent e =
              new AuditEvent(
                  Instant.ofEpochMilli(rs.getLong(1)),
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  Optional.ofNullable(rs.getString(5)),
                  v,
                  rs.getString(7),
                  rs.getString(8));
          if (!e.action().startsWith("integrity.") && keep.test(e)) {
            events.add(e);
          }
        }
      }
      try (Statement st = c.createStatement()) {
        st.executeUpdate("DELETE FROM audit");
      }
      byte[] previous = AuditChain.GENESIS;
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO audit (seq, time, token_id, client, action, secret, version, result,"
                  + " detail, key_id, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        long seq = 0;
        for (AuditEvent e : events) {
          AuditRecord r = chain.seal(++seq, e, previous);
          previous = r.mac();
          ps.setLong(1, seq);
          ps.setLong(2, e.time().toEpochMilli());
          ps.setString(3, e.tokenId());
          ps.setString(4, e.client());
          ps.setString(5, e.action());
          ps.setString(6, e.secret().orElse(null));
          ps.setObject(7, e.version().orElse(null));
          ps.setString(8, e.result());
          ps.setString(9, e.detail());
          ps.setString(10, r.keyId());
          ps.setBytes(11, r.mac());
          ps.executeUpdate();
        }
      }
      c.commit();
    }
  }
}
