package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.spi.SecretStore;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.SecretStoreContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteSecretStoreTest extends SecretStoreContract {
  @TempDir Path dir;

  @Override
  protected SecretStore newStore() {
    return JdbcSecretStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), new FixedClock(T0));
  }

  @Test
  void open_everyPooledConnection_hasWalFullSyncAndBusyTimeout() throws Exception {
    JdbcSecretStore jdbc = (JdbcSecretStore) store;
    List<Connection> held = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        Connection c = jdbc.dataSource().getConnection();
        held.add(c);

        assertThat(pragma(c, "journal_mode")).isEqualTo("wal");
        assertThat(pragma(c, "synchronous")).isEqualTo("2");
        assertThat(Integer.parseInt(pragma(c, "busy_timeout"))).isGreaterThanOrEqualTo(5000);
        assertThat(pragma(c, "foreign_keys")).isEqualTo("1");
      }
    } finally {
      for (Connection c : held) {
        c.close();
      }
    }
  }

  @Test
  void open_databaseAndSideFiles_areMode600() throws Exception {
    store.update(SecretName.of("a/b"), s -> addCurrent(s, "x", Duration.ZERO));

    for (String name : List.of("keyturn.db", "keyturn.db-wal", "keyturn.db-shm")) {
      Path file = dir.resolve(name);
      assertThat(file).exists();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .as(name)
          .isEqualTo("rw-------");
    }
  }

  @Test
  void reopen_keepsEverything() {
    store.update(SecretName.of("a/b"), s -> addCurrent(s, "x", Duration.ZERO));
    store.close();

    store = newStore();

    assertThat(store.find(SecretName.of("a/b"))).isPresent();
  }

  private static String pragma(Connection c, String name) throws Exception {
    try (ResultSet rs = c.createStatement().executeQuery("PRAGMA " + name)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
