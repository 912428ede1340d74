package dev.keyturn.targets;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.testing.ScratchPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The reencrypt strategy on a throw-away PostgreSQL cluster that demands SCRAM passwords (the
 * target logs in as it would in production); one database per test.
 */
class ReencryptPostgresTest extends ReencryptContract {
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static ScratchPostgres pg;
  private String database;

  @BeforeAll
  static void startCluster() {
    pg = ScratchPostgres.start();
  }

  @AfterAll
  static void stopCluster() {
    if (pg != null) {
      pg.close();
    }
  }

  @BeforeEach
  void createDatabase() throws SQLException {
    database = "reencrypt" + NEXT.incrementAndGet();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"));
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + database);
    }
    h = new ReencryptHarness(PostgresTarget.TYPE, new PostgresTarget());
    h.putKey(FernetKeyring.generateKey(h.random));
    h.putAdmin(secret("postgres", pg.superPassword()));
  }

  private DatabaseSecret secret(String user, String password) {
    return DatabaseSecret.parse(
        ("{\"engine\":\"postgres\",\"host\":\"127.0.0.1\",\"port\":"
                + pg.port()
                + ",\"dbname\":\""
                + database
                + "\",\"username\":\""
                + user
                + "\",\"password\":\""
                + password
                + "\",\"sslmode\":\"disable\"}")
            .getBytes(StandardCharsets.UTF_8));
  }

  @Override
  Connection app() throws SQLException {
    return DriverManager.getConnection(pg.jdbcUrl(database));
  }

  @Override
  void selectOnlyAdmin() throws SQLException {
    String user = database + "_reader";
    sql("CREATE ROLE " + user + " LOGIN PASSWORD 'reader-password'");
    sql("GRANT SELECT ON " + TABLE + " TO " + user);
    h.putAdmin(secret(user, "reader-password"));
  }

  @Override
  String binaryType() {
    return "bytea";
  }
}
