package dev.keyturn.store;

import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.RuleStoreContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The rule contract on SQLite: every open is a new store (pool, migration check) on one file. */
class SqliteRuleStoreTest extends RuleStoreContract {
  @TempDir Path dir;
  private final List<JdbcStore> opened = new ArrayList<>();

  @Override
  protected RotationStore open() {
    JdbcStore store =
        JdbcStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), new FixedClock(T0));
    opened.add(store);
    return store.rotations();
  }

  @AfterEach
  void close() {
    opened.forEach(JdbcStore::close);
  }
}
