package dev.keyturn.store;

import dev.keyturn.core.spi.SecretStore;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.SecretStoreContract;
import dev.keyturn.testing.TestServices;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;

/** The store contract on the local PostgreSQL, each test in a schema of its own. */
class PostgresSecretStoreTest extends SecretStoreContract {
  private final List<String> schemas = new ArrayList<>();
  private String baseUrl;

  @Override
  protected SecretStore newStore() {
    baseUrl = TestServices.postgresUrl();
    String schema = "kt_test_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute(baseUrl, "CREATE SCHEMA " + schema);
    schemas.add(schema);
    String url = baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    return JdbcSecretStore.open(url, new FixedClock(T0));
  }

  @AfterEach
  void dropSchemas() {
    for (String schema : schemas) {
      execute(baseUrl, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + " failed", e);
    }
  }
}
