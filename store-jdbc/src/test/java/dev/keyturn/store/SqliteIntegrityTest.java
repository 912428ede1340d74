package dev.keyturn.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** {@link StoreIntegrityTest} on SQLite. */
class SqliteIntegrityTest extends StoreIntegrityTest {
  @TempDir Path dir;
  private String url;

  @Override
  String newUrl() {
    url = "jdbc:sqlite:" + dir.resolve("keyturn-" + System.nanoTime() + ".db");
    return url;
  }

  @Override
  String url() {
    return url;
  }
}
