package dev.keyturn.store;

import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.RuleStoreContract;
import dev.keyturn.testing.TestServices;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;

/** The rule contract on the local PostgreSQL: every open is a new store on this test's schema. */
class PostgresRuleStoreTest extends RuleStoreContract {
  private final List<JdbcStore> opened = new ArrayList<>();
  private String baseUrl;
  private String schema;

  @Override
  protected RotationStore open() {
    if (schema == null) {
      baseUrl = TestServices.postgresUrl();
      schema = "kt_rules_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
      execute("CREATE SCHEMA " + schema);
    }
    String url = baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    JdbcStore store = JdbcStore.open(url, new FixedClock(T0));
    opened.add(store);
    return store.rotations();
  }

  @AfterEach
  void drop() {
    opened.forEach(JdbcStore::close);
    if (schema != null) {
      execute("DROP SCHEMA " + schema + " CASCADE");
    }
  }

  private void execute(String sql) {
    try (Connection c = DriverManager.getConnection(baseUrl)) {
      c.createStatement().execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + " failed", e);
    }
  }
}
