package dev.keyturn.store;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.spi.TokenLineage;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.core.spi.TokenStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Tokens in the {@code tokens} table of a {@link JdbcStore}. Thread-safe. */
final class JdbcTokenStore implements TokenStore {
  private static final String COLUMNS =
      "id, hash, name, grants, created_at, expires_at, revoked_at, creator, creator_source";
  private final Jdbc jdbc;
  private final Dialect dialect;

  JdbcTokenStore(Jdbc jdbc, Dialect dialect) {
    this.jdbc = jdbc;
    this.dialect = dialect;
  }

  @Override
  public void create(TokenRecord token) {
    jdbc.write(c -> {
      if (token.creator().isPresent()) {
        // PostgreSQL: the row lock waits for a revocation under way (it locks the table), then
        // reads the creator as that revocation left it. SQLite serializes every write.
        String creator = token.creator().get();
        Optional<TokenRecord> found;
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT " + COLUMNS + " FROM tokens WHERE id = ?" + dialect.forUpdate)) {
          ps.setString(1, creator);
          found = readAll(ps).stream().findFirst();
        }
        if (found.isEmpty() || !found.get().validAt(token.createdAt())) {
          throw new KeyturnException.Unauthenticated("token " + creator + " is no longer valid");
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO tokens (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, token.id());
        ps.setBytes(2, token.hash());
        ps.setString(3, token.name());
        ps.setString(4, String.join("\n", token.grants()));
        ps.setLong(5, token.createdAt().toEpochMilli());
        setMillis(ps, 6, token.expiresAt());
        setMillis(ps, 7, token.revokedAt());
        ps.setString(8, token.creator().orElse(null));
        ps.setString(9, token.creatorSource().wireName());
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Optional<TokenRecord> findByHash(byte[] hash) {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM tokens WHERE hash = ?")) {
        ps.setBytes(1, hash);
        return readAll(ps).stream().findFirst();
      }
    });
  }

  private static List<TokenRecord> readAll(PreparedStatement ps) throws SQLException {
    List<TokenRecord> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String grants = rs.getString(4);
        out.add(
            new TokenRecord(
                rs.getString(1),
                rs.getString(3),
                rs.getBytes(2),
                grants.isEmpty() ? List.of() : Arrays.asList(grants.split("\n")),
                Instant.ofEpochMilli(rs.getLong(5)),
                millis(rs, 6),
                millis(rs, 7),
                Optional.ofNullable(rs.getString(8)),
                TokenRecord.CreatorSource.fromWire(rs.getString(9))));
      }
    }
    return out;
  }

  @Override
  public List<TokenRecord> list() {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM tokens ORDER BY created_at, id")) {
        return readAll(ps);
      }
    });
  }

  @Override
  public List<TokenRecord> revoke(String id, Instant at) {
    return jdbc.write(c -> {
      if (dialect == Dialect.POSTGRESQL) {
        // Excludes other revocations and token creations (which lock their creator's row) until
        // this one commits, so the lineage read below is complete.
        try (Statement st = c.createStatement()) {
          st.execute("LOCK TABLE tokens IN EXCLUSIVE MODE");
        }
      }
      List<TokenRecord> all;
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM tokens ORDER BY created_at, id")) {
        all = readAll(ps);
      }
      List<String> ids = TokenLineage.toRevoke(all, id, at);
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
        for (String each : ids) {
          ps.setLong(1, at.toEpochMilli());
          ps.setString(2, each);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      List<TokenRecord> out = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM tokens WHERE id = ?")) {
        for (String each : ids) {
          ps.setString(1, each);
          out.addAll(readAll(ps));
        }
      }
      return out;
    });
  }

  @Override
  public void resolveCreator(
      String id, Optional<String> creator, TokenRecord.CreatorSource source) {
    jdbc.write(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE tokens SET creator = ?, creator_source = ?"
                  + " WHERE id = ? AND creator_source = 'unresolved'")) {
        ps.setString(1, creator.orElse(null));
        ps.setString(2, source.wireName());
        ps.setString(3, id);
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public long count() {
    return jdbc.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM tokens");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  private static void setMillis(PreparedStatement ps, int index, Optional<Instant> value)
      throws SQLException {
    if (value.isPresent()) {
      ps.setLong(index, value.get().toEpochMilli());
    } else {
      ps.setNull(index, Types.BIGINT);
    }
  }

  private static Optional<Instant> millis(ResultSet rs, int index) throws SQLException {
    long value = rs.getLong(index);
    return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(value));
  }
}
