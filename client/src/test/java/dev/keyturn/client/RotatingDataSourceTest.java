package dev.keyturn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RotatingDataSource} against the local MariaDB, which checks passwords, with the secret
 * served by {@link FakeCredentials}: switching, draining, refusing a bad version, re-reading after
 * a refused login, and never showing a password. (The whole path through a real Keyturn server and
 * real rotations is tested in the server module.)
 */
class RotatingDataSourceTest {
  private static final String SECRET = "app/DATABASE";
  private static final String CANARY = "canary-Pw-5f0e-do-not-print";
  private static MariaDbLogins db;

  private final FakeCredentials source = new FakeCredentials(SECRET);
  private final LogCapture logs = new LogCapture();
  private RotatingDataSource ds;
  private String userA;
  private String userB;

  @BeforeAll
  static void startDatabase() {
    db = MariaDbLogins.start();
  }

  @AfterAll
  static void dropDatabase() {
    if (db != null) {
      db.close();
    }
  }

  @BeforeEach
  void users() {
    userA = db.user("a", CANARY + "-a");
    userB = db.user("b", CANARY + "-b");
  }

  @AfterEach
  void close() {
    if (ds != null) {
      ds.close();
    }
    logs.close();
  }

  private RotatingDataSource build() {
    return RotatingDataSource.builder()
        .source(source)
        .drainTimeout(Duration.ofSeconds(20))
        .heartbeat(Duration.ofSeconds(5))
        .consumerId("sdk.test.1")
        .configure(c -> c.setConnectionTimeout(1_000))
        .build();
  }

  private static String user(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)")) {
      r.next();
      return r.getString(1);
    }
  }

  private String queryUser() throws SQLException {
    try (Connection c = ds.getConnection()) {
      return user(c);
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within 30 s: " + what);
      }
      Thread.sleep(20);
    }
  }

  /**
   * Ends {@code user}'s connections, then waits past HikariCP's 500 ms alive-bypass window, inside
   * which it hands out a connection used a moment ago without checking it.
   */
  private static void killAndLetHikariNotice(String user) throws InterruptedException {
    db.kill(user);
    await("connections ended", () -> db.connections(user) == 0);
    Thread.sleep(600);
  }

  @Test
  void build_secretMissingAField_failsNamingTheField_neverTheValue() {
    for (String field : List.of("engine", "host", "port", "dbname", "username", "password")) {
      String json =
          db.secret(userA, CANARY).replaceFirst("\"" + field + "\":(\"[^\"]*\"|[0-9]+),?", "");
      source.set(1, json.replace(",}", "}"));

      assertThatThrownBy(this::build)
          .as(field)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(SECRET + "#1")
          .hasMessageContaining("'" + field + "'")
          .hasMessageNotContaining(CANARY);
    }
    assertThat(source.beats()).as("nothing registered").isEmpty();
    assertThat(source.departed()).as("nothing to depart").isFalse();
  }

  @Test
  void build_secretOfAnotherEngine_aBadPort_orHostileHostDbnameSslmode_failsNamingTheField() {
    source.set(1, db.secret(userA, CANARY).replace("\"mariadb\"", "\"redis\""));
    assertThatThrownBy(this::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'engine'")
        .hasMessageNotContaining(CANARY);

    source.set(1, db.secret(userA, CANARY).replace("3306", "\"3306\""));
    assertThatThrownBy(this::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'port'");

    source.set(1, db.secret(userA, CANARY).replace(db.database, "x?allowLocalInfile=true"));
    assertThatThrownBy(this::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'dbname'");

    for (String host :
        List.of("127.0.0.1/x?socketFactory=evil", "h;x", "h\\r\\nX: y", "h'q", "../h", "")) {
      source.set(1, db.secret(userA, CANARY).replace("127.0.0.1", host));
      assertThatThrownBy(this::build)
          .as(host)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'host'")
          .hasMessageNotContaining(host.isEmpty() ? CANARY : host);
    }
    String postgres = db.secret(userA, CANARY).replace("\"mariadb\"", "\"postgresql\"");
    source.set(1, postgres.replace("}", ",\"sslmode\":\"disable&socketFactory=x\"}"));
    assertThatThrownBy(this::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'sslmode'")
        .hasMessageNotContaining("socketFactory");
    assertThat(source.beats()).as("nothing registered").isEmpty();
  }

  @Test
  void build_firstVersionRefusedByTheDatabase_failsWithoutThePassword() {
    source.set(1, db.secret(userA, CANARY + "-wrong"));

    assertThatThrownBy(this::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(SECRET + ": the first pool failed its check")
        .hasMessageNotContaining(CANARY);
    assertThat(db.connections(userA)).isZero();
  }

  @Test
  void newVersion_switchesNewConnections_andTheOldPoolClosesWhenItsConnectionComesBack()
      throws Exception {
    source.set(3, db.secret(userA, CANARY + "-a"));
    ds = build();
    assertThat(queryUser()).isEqualTo(userA);
    assertThat(source.lastBeat().using()).isEqualTo(3);
    Connection borrowed = ds.getConnection();

    source.set(4, db.secret(userB, CANARY + "-b")).signal();
    await("switched to #4", () -> ds.currentVersion() == 4);

    assertThat(queryUser()).isEqualTo(userB);
    assertThat(ds.openVersions()).containsExactly(4, 3);
    await("the heartbeat after the switch", () -> source.lastBeat().accepting().size() == 2);
    assertThat(source.lastBeat().using()).as("still connected as the old user").isEqualTo(3);
    assertThat(source.lastBeat().accepting()).containsExactly(4, 3);
    assertThat(user(borrowed)).as("a borrowed connection keeps working").isEqualTo(userA);

    borrowed.close();
    await("the old pool drained", () -> ds.openVersions().equals(List.of(4)));
    await("no connection of the old user", () -> db.connections(userA) == 0);
    await("using #4", () -> source.lastBeat().using() == 4);
    assertThat(source.lastBeat().accepting()).containsExactly(4);
    assertThat(db.connections(userB)).isPositive();
  }

  @Test
  void oldPool_withAConnectionNeverReturned_closesAtTheDrainTimeout() throws Exception {
    source.set(1, db.secret(userA, CANARY + "-a"));
    ds =
        RotatingDataSource.builder()
            .source(source)
            .drainTimeout(Duration.ofSeconds(1))
            .heartbeat(Duration.ofSeconds(5))
            .build();
    Connection kept = ds.getConnection();

    source.set(2, db.secret(userB, CANARY + "-b")).signal();

    await("the old pool closed", () -> ds.openVersions().equals(List.of(2)));
    await("no connection of the old user", () -> db.connections(userA) == 0);
    assertThat(kept.isClosed() || !kept.isValid(1)).isTrue();
    assertThat(logs.text()).contains("drain timed out");
  }

  @Test
  void newVersion_failingValidation_leavesTheOldPoolServing() throws Exception {
    source.set(1, db.secret(userA, CANARY + "-a"));
    ds = build();

    source.set(2, db.secret(userB, CANARY + "-not-the-password")).signal();
    await("the refusal is logged", () -> logs.text().contains("#2: not switching"));

    assertThat(ds.currentVersion()).isEqualTo(1);
    assertThat(queryUser()).isEqualTo(userA);
    assertThat(ds.openVersions()).containsExactly(1);
    await("reported as failed", () -> source.lastBeat().failed() == 2);
    assertThat(source.lastBeat().using()).isEqualTo(1);
    assertThat(db.connections(userB)).isZero();

    int reads = source.reads();
    source.signal();
    await("read again", () -> source.reads() > reads);
    assertThat(ds.currentVersion())
        .as("a refused version is not retried on every event")
        .isEqualTo(1);
  }

  @Test
  void authenticationFailure_onGetConnection_readsTheSecretNow_andRetriesOnce() throws Exception {
    source.set(1, db.secret(userA, CANARY + "-a"));
    ds = build();
    assertThat(queryUser()).isEqualTo(userA);
    // Rotated behind its back: no change event; the open connections die (a restart of the DB).
    db.password(userA, CANARY + "-a2");
    source.set(2, db.secret(userA, CANARY + "-a2"));
    killAndLetHikariNotice(userA);
    int reads = source.reads();

    assertThat(queryUser()).isEqualTo(userA);

    assertThat(source.reads()).isGreaterThan(reads);
    assertThat(ds.currentVersion()).isEqualTo(2);
    assertThat(logs.text()).contains("#1: the database refused the login");
  }

  @Test
  void authenticationFailure_withNothingNewToRead_isThrownAfterOneRetry() throws Exception {
    source.set(1, db.secret(userA, CANARY + "-a"));
    ds = build();
    db.password(userA, CANARY + "-elsewhere");
    killAndLetHikariNotice(userA);

    assertThatThrownBy(ds::getConnection)
        .isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(AuthFailures.is(e)).isTrue())
        .hasMessageNotContaining(CANARY);
    assertThat(ds.currentVersion()).isEqualTo(1);
  }

  @Test
  void close_departsAndClosesEveryPool() throws Exception {
    source.set(1, db.secret(userA, CANARY + "-a"));
    ds = build();
    assertThat(queryUser()).isEqualTo(userA);

    ds.close();

    assertThat(source.departed()).isTrue();
    assertThat(source.closed()).isTrue();
    await("no connection left", () -> db.connections(userA) == 0);
    assertThatThrownBy(ds::getConnection).isInstanceOf(SQLException.class);
    ds = null;
  }

  @Test
  void canaryPassword_isNeverInToStringLogsOrExceptions() throws Exception {
    source.set(1, db.secret(userA, CANARY + "-a"));
    ds = build();
    source.set(2, db.secret(userB, CANARY + "-wrong")).signal();
    await("refusal logged", () -> logs.text().contains("not switching"));
    source.set(3, db.secret(userB, CANARY + "-b")).signal();
    await("switched", () -> ds.currentVersion() == 3);
    // The pool logs its switch just after it makes it: a slow log line is not a missing one.
    await("switch logged", () -> logs.text().contains("switched to"));
    Exception unsupported =
        org.junit.jupiter.api.Assertions.assertThrows(
            SQLException.class, () -> ds.getConnection("x", CANARY));

    assertThat(ds.toString()).isEqualTo("RotatingDataSource[app/DATABASE#3]");
    assertThat(unsupported.getMessage()).doesNotContain(CANARY);
    assertThat(source.current().toString()).doesNotContain(CANARY);
    assertThat(DatabaseLogin.parse(SECRET, 3, source.current().value()).toString())
        .doesNotContain(CANARY)
        .contains(userB);
    assertThat(logs.text())
        .contains("switched to")
        .contains("keyturn-app.DATABASE-v3 - Start completed")
        .doesNotContain(CANARY);
  }

  @Test
  void builder_refusesBadSettings() {
    assertThatThrownBy(() -> RotatingDataSource.builder().secret(SECRET).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("client");
    assertThatThrownBy(
            () -> RotatingDataSource.builder().source(source).drainTimeout(Duration.ZERO).build())
        .hasMessageContaining("drainTimeout");
    assertThatThrownBy(
            () -> RotatingDataSource.builder().source(source).consumerId("a/../b").build())
        .hasMessageContaining("consumerId");
  }
}
