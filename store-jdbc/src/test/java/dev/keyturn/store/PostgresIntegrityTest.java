package dev.keyturn.store;

import dev.keyturn.testing.TestServices;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;

/** {@link StoreIntegrityTest} on the local PostgreSQL, in a schema of its own. */
class PostgresIntegrityTest extends StoreIntegrityTest {
  private String baseUrl;
  private String schema;
  private String url;

  @Override
  String newUrl() {
    baseUrl = TestServices.postgresUrl();
    schema = "kt_integrity_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute("CREATE SCHEMA " + schema);
    url = baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    return url;
  }

  @Override
  String url() {
    return url;
  }

  @AfterEach
  void dropSchema() {
    close();
    execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }

  private void execute(String sql) {
    try (Connection c = DriverManager.getConnection(baseUrl);
        Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
