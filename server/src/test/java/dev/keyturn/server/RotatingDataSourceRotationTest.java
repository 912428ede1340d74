package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.WireJson;
import dev.keyturn.client.KeyturnClient;
import dev.keyturn.client.RotatingDataSource;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.ScratchPostgres;
import dev.keyturn.testing.TestServices;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RotatingDataSource} through real alternating-users rotations: a real Keyturn server
 * rotates the secret against a real database that checks passwords (a scratch PostgreSQL cluster
 * with SCRAM; the local MariaDB), while 8 threads query through the DataSource, which reads the
 * secret, follows its change events and registers as a consumer with a read-only token. No query
 * fails, and once a rotation's old pool has drained the old user has no connection left.
 */
class RotatingDataSourceRotationTest {
  private static final String DB = "app/DATABASE";
  private static final String ADMIN = "ops/DATABASE_ADMIN";
  private static final int THREADS = 8;

  @TempDir Path dir;
  private RunningServer server;
  private WireClient root;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  @Test
  void postgres_twentyAlternatingUsersRotations_noFailedQuery_noOldUserConnectionAfterTheDrain()
      throws Exception {
    ScratchPostgres pg = ScratchPostgres.start();
    closing.add(pg);
    sql(pg.jdbcUrl("postgres"), "CREATE ROLE shop LOGIN PASSWORD 'initial-Pw-1'");
    sql(pg.jdbcUrl("postgres"), "CREATE DATABASE shop OWNER shop");
    String shopUrl = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/shop";
    try (Connection c = DriverManager.getConnection(shopUrl, "shop", "initial-Pw-1");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE items (id int PRIMARY KEY, body text)");
      s.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g");
    }
    start(
        secret("postgresql", pg.port(), "shop", "shop", "initial-Pw-1"),
        secret("postgresql", pg.port(), "postgres", "postgres", pg.superPassword()),
        "postgresql");

    rotateWhileQuerying(
        20,
        user ->
            count(
                pg.jdbcUrl("postgres"),
                "SELECT count(*) FROM pg_stat_activity WHERE usename = '" + user + "'"));
  }

  @Test
  void mariadb_twentyAlternatingUsersRotations_noFailedQuery_noOldUserConnectionAfterTheDrain()
      throws Exception {
    String rootUrl = TestServices.mariadbUrl();
    String app = "kt_rds_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    String admin = app + "_admin";
    String adminPassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    closing.add(() -> {
      for (String u : List.of(app, app + "_b")) {
        for (String host : List.of("%", "127.0.0.1")) {
          sql(rootUrl, "DROP USER IF EXISTS '" + u + "'@'" + host + "'");
        }
      }
      sql(rootUrl, "DROP ROLE IF EXISTS " + app + "_owner");
      sql(rootUrl, "DROP USER IF EXISTS '" + admin + "'@'%'");
      sql(rootUrl, "DROP DATABASE IF EXISTS " + app);
    });
    sql(rootUrl, "CREATE DATABASE " + app);
    sql(rootUrl, "CREATE USER '" + admin + "'@'%' IDENTIFIED BY '" + adminPassword + "'");
    sql(rootUrl, "GRANT ALL ON *.* TO '" + admin + "'@'%' WITH GRANT OPTION");
    for (String host : List.of("%", "127.0.0.1")) {
      sql(rootUrl, "CREATE USER '" + app + "'@'" + host + "' IDENTIFIED BY 'initial-Pw-1'");
      sql(rootUrl, "GRANT ALL ON " + app + ".* TO '" + app + "'@'" + host + "'");
    }
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:mariadb://127.0.0.1:3306/" + app, app, "initial-Pw-1");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE items (id int PRIMARY KEY, body text)");
      s.execute("INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_1000");
    }
    start(
        secret("mariadb", 3306, app, app, "initial-Pw-1"),
        secret("mariadb", 3306, app, admin, adminPassword),
        "mariadb");

    rotateWhileQuerying(
        20,
        user ->
            count(
                rootUrl,
                "SELECT count(*) FROM information_schema.processlist WHERE user = '" + user + "'"));
  }

  private void start(String app, String admin, String engine) {
    server = RunningServer.start(dir.resolve("data"));
    closing.add(server);
    root = server.client();
    root.put(ADMIN, json(admin));
    root.put(DB, json(app));
    root.putRule(
        DB,
        new RuleBody(
            "password:32",
            "30d",
            null,
            null,
            "alternating-users",
            null,
            Map.of("type", engine, "admin", ADMIN),
            "dba",
            null,
            null,
            null,
            null,
            null,
            null,
            null));
    root.setupTarget(DB);
  }

  /**
   * Runs {@code rotations} rotations while {@link #THREADS} threads query; after each, waits until
   * the DataSource uses the new version and its old pool has drained, then checks that the old user
   * has no connection left ({@code connections} counts a user's server connections).
   */
  private void rotateWhileQuerying(int rotations, ToIntFunction<String> connections)
      throws Exception {
    KeyturnClient reader =
        KeyturnClient.builder().address(server.url()).token(server.token("read:app/*")).build();
    closing.add(reader);
    RotatingDataSource ds =
        RotatingDataSource.builder()
            .client(reader)
            .secret(DB)
            .consumerId("sdk.rotation-test")
            .heartbeat(Duration.ofSeconds(5))
            .configure(c -> c.setMaximumPoolSize(THREADS))
            .build();
    closing.add(ds);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong queries = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < THREADS; i++) {
      Thread t =
          new Thread(
              () -> {
                while (running.get()) {
                  try (Connection c = ds.getConnection();
                      PreparedStatement s =
                          c.prepareStatement("SELECT body FROM items WHERE id = ?")) {
                    int id = ThreadLocalRandom.current().nextInt(1, 1001);
                    s.setInt(1, id);
                    try (ResultSet r = s.executeQuery()) {
                      if (!r.next() || !r.getString(1).equals("item " + id)) {
                        throw new AssertionError("wrong row for " + id);
                      }
                    }
                    queries.incrementAndGet();
                  } catch (SQLException | RuntimeException | AssertionError e) {
                    failures.incrementAndGet();
                    firstFailure.compareAndSet(null, e);
                  }
                }
              },
              "query-" + i);
      t.start();
      threads.add(t);
    }
    closing.add(() -> {
      running.set(false);
      for (Thread t : threads) {
        t.join(10_000);
      }
    });

    List<String> users = new ArrayList<>();
    for (int i = 0; i < rotations; i++) {
      String oldUser = root.get(DB).value().get("username").asString();
      long before = queries.get();
      Eventually.waitFor(Duration.ofSeconds(30), () -> queries.get() > before + THREADS);

      RotationInfo rotation = root.rotate(DB, new RotateRequest(null, null));
      Eventually.waitFor(
          Duration.ofSeconds(60), () -> root.rotation(rotation.id()).state().equals("finished"));

      int current = root.get(DB).version();
      String newUser = root.get(DB).value().get("username").asString();
      assertThat(newUser).as("alternating users").isNotEqualTo(oldUser);
      Eventually.waitFor(Duration.ofSeconds(30), () -> ds.currentVersion() == current);
      Eventually.waitFor(Duration.ofSeconds(40), () -> ds.openVersions().equals(List.of(current)));
      Eventually.waitFor(Duration.ofSeconds(10), () -> connections.applyAsInt(oldUser) == 0);
      assertThat(connections.applyAsInt(newUser)).isPositive();
      Eventually.waitFor(
          Duration.ofSeconds(10),
          () -> {
            var holding = root.consumers(DB).consumers();
            return holding.size() == 1 && holding.get(0).secrets().get(0).using() == current;
          });
      users.add(newUser);
    }
    running.set(false);
    for (Thread t : threads) {
      t.join(10_000);
    }

    assertThat(failures.get())
        .as("failed queries (first: %s)", String.valueOf(firstFailure.get()))
        .isZero();
    assertThat(queries.get()).isGreaterThan((long) rotations * THREADS);
    assertThat(new java.util.HashSet<>(users)).as("two users, alternating").hasSize(2);
  }

  private static String secret(String engine, int port, String db, String user, String password) {
    return "{\"engine\":\""
        + engine
        + "\",\"host\":\"127.0.0.1\",\"port\":"
        + port
        + ",\"dbname\":\""
        + db
        + "\",\"username\":\""
        + user
        + "\",\"password\":\""
        + password
        + "\""
        + (engine.equals("postgresql") ? ",\"sslmode\":\"disable\"" : "")
        + "}";
  }

  private static PutSecretRequest json(String value) {
    return new PutSecretRequest(null, WireJson.mapper().readTree(value), null, null, null);
  }

  private static void sql(String url, String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }

  private static int count(String url, String query) {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(query)) {
      r.next();
      return r.getInt(1);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }
}
