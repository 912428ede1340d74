package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.SecretChange;
import dev.keyturn.core.spi.Store;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.testing.AuditLogContract;
import dev.keyturn.testing.ConsumerStoreContract;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.RotationStoreContract;
import dev.keyturn.testing.SecretStoreContract;
import dev.keyturn.testing.SettingStoreContract;
import dev.keyturn.testing.TokenStoreContract;
import dev.keyturn.testing.UnitOfWorkContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every store contract suite on SQLite, and what is particular to the SQLite file. */
class SqliteStoreTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  @TempDir Path dir;

  JdbcStore open() {
    return JdbcStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), new FixedClock(T0));
  }

  /** As {@link #open}, with its rows integrity-protected, as a server opens it. */
  JdbcStore openProtected() {
    JdbcStore store = open();
    dev.keyturn.core.crypto.RootKey key =
        dev.keyturn.core.crypto.RootKey.generate(new java.security.SecureRandom());
    store.openAuditLog(new dev.keyturn.core.audit.AuditChain(key));
    store.protect(new dev.keyturn.core.crypto.Envelope(key, new java.security.SecureRandom()));
    return store;
  }

  @Nested
  class Consumers extends ConsumerStoreContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class ProtectedConsumers extends ConsumerStoreContract {
    @Override
    protected Store newStore() {
      return openProtected();
    }
  }

  @Nested
  class ProtectedSecrets extends SecretStoreContract {
    @Override
    protected Store newStore() {
      return openProtected();
    }
  }

  @Nested
  class ProtectedTokens extends TokenStoreContract {
    @Override
    protected Store newStore() {
      return openProtected();
    }
  }

  @Nested
  class ProtectedRotations extends RotationStoreContract {
    @Override
    protected Store newStore() {
      return openProtected();
    }
  }

  @Nested
  class Secrets extends SecretStoreContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class Tokens extends TokenStoreContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class Rotations extends RotationStoreContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class Settings extends SettingStoreContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class Audit extends AuditLogContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Nested
  class Units extends UnitOfWorkContract {
    @Override
    protected Store newStore() {
      return open();
    }
  }

  @Test
  void consumerRow_editedOutsideKeyturn_holdsNothing() throws Exception {
    try (JdbcStore jdbc = openProtected()) {
      dev.keyturn.core.SecretName name = dev.keyturn.core.SecretName.of("app/prod/KEY");
      jdbc.consumers()
          .save(
              new dev.keyturn.core.Consumer(
                  "c1",
                  "tok_a",
                  "web-1",
                  dev.keyturn.core.Consumer.Kind.RUN,
                  List.of(new dev.keyturn.core.Consumer.Holding(name, 3, List.of())),
                  Duration.ofSeconds(90),
                  T0,
                  T0));
      assertThat(jdbc.consumers().naming(name)).hasSize(1);

      // Someone with the database file keeps the consumer live for a year, or takes it over.
      try (Connection c = jdbc.dataSource().getConnection();
          java.sql.Statement st = c.createStatement()) {
        st.executeUpdate("UPDATE consumers SET last_seen = last_seen + 31536000000");
      }

      assertThat(jdbc.consumers().naming(name)).isEmpty();
      assertThat(jdbc.consumers().consumer("c1")).isEmpty();
    }
  }

  @Test
  void open_everyPooledConnection_hasWalFullSyncAndBusyTimeout() throws Exception {
    try (JdbcStore jdbc = open()) {
      List<Connection> held = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          Connection c = jdbc.dataSource().getConnection();
          held.add(c);

          assertThat(pragma(c, "journal_mode")).isEqualTo("wal");
          assertThat(pragma(c, "synchronous")).isEqualTo("2");
          assertThat(Integer.parseInt(pragma(c, "busy_timeout"))).isGreaterThanOrEqualTo(5000);
          assertThat(pragma(c, "foreign_keys")).isEqualTo("1");
          assertThat(pragma(c, "wal_autocheckpoint")).isEqualTo("0");
          assertThat(pragma(c, "temp_store")).isEqualTo("2");
          assertThat(pragma(c, "secure_delete")).isEqualTo("1");
        }
      } finally {
        for (Connection c : held) {
          c.close();
        }
      }
    }
  }

  @Test
  void open_pooledConnection_keepsItsPreparedStatementsAcrossBorrows() throws Exception {
    try (JdbcStore jdbc = open()) {
      String sql = "SELECT COUNT(*) FROM secrets";
      java.util.Set<Object> prepared = new java.util.HashSet<>();

      // Sixteen borrows from a pool of eight connections: one statement per connection at most.
      for (int i = 0; i < 16; i++) {
        try (Connection c = jdbc.dataSource().getConnection();
            java.sql.PreparedStatement ps = c.prepareStatement(sql)) {
          prepared.add(ps.unwrap(org.sqlite.jdbc4.JDBC4PreparedStatement.class));
        }
      }

      assertThat(prepared).hasSizeLessThanOrEqualTo(8);
    }
  }

  @Test
  void write_noCommitCheckpoints_theCheckpointerCopiesTheLog() throws Exception {
    try (JdbcStore store = open()) {
      for (int i = 0; i < 50; i++) {
        store.secrets().update(SecretName.of("a/b" + i), s -> addCurrent(s, "x"));
      }
      assertThat(Files.size(dir.resolve("keyturn.db-wal"))).isPositive();

      // The thread copies the log within an interval of the last write; a checkpoint of our own
      // then finds nothing left to copy. Waits for it, never asserts how long it took.
      long left = Long.MAX_VALUE;
      for (int tries = 0; tries < 600 && left != 0; tries++) {
        Thread.sleep(WalCheckpointer.INTERVAL_MILLIS);
        left = uncopiedFrames(store);
      }
      assertThat(left).isZero();
      assertThat(store.secrets().find(SecretName.of("a/b49"))).isPresent();
    }
  }

  /** Frames in the log not yet in the database file, asked without copying any (a no-op mode). */
  private static long uncopiedFrames(JdbcStore store) throws Exception {
    try (Connection c = store.dataSource().getConnection();
        java.sql.Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(NOOP)")) {
      rs.next();
      return rs.getLong(2) - rs.getLong(3);
    }
  }

  @Test
  void open_databaseAndSideFiles_areMode600() throws Exception {
    try (JdbcStore store = open()) {
      store.secrets().update(SecretName.of("a/b"), s -> addCurrent(s, "x"));

      for (String name : List.of("keyturn.db", "keyturn.db-wal", "keyturn.db-shm")) {
        Path file = dir.resolve(name);
        assertThat(file).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
            .as(name)
            .isEqualTo("rw-------");
      }
    }
  }

  @Test
  void reopen_keepsEverything() {
    try (JdbcStore store = open()) {
      store.secrets().update(SecretName.of("a/b"), s -> addCurrent(s, "x"));
    }

    try (JdbcStore store = open()) {
      assertThat(store.secrets().find(SecretName.of("a/b"))).isPresent();
    }
  }

  private static SecretChange addCurrent(StoredSecret s, String value) {
    int n = s.versions().nextNumber();
    Version v =
        new Version(n, Stage.CURRENT, ValueType.STRING, T0, "tester", Optional.empty(), "fp");
    return new SecretChange(
        s.versions().add(v, Duration.ZERO, T0),
        Map.of(n, value.getBytes()),
        Optional.of("dk".getBytes()),
        false);
  }

  private static String pragma(Connection c, String name) throws Exception {
    try (ResultSet rs = c.createStatement().executeQuery("PRAGMA " + name)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
