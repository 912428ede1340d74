package dev.keyturn.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.DatabaseSecret;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import dev.keyturn.testing.ScratchPostgres;
import dev.keyturn.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The postgresql target against a throw-away cluster that demands SCRAM passwords (the machine's
 * own server trusts loopback logins, which would make every login test meaningless). Each test
 * first shows that the server refuses a wrong password.
 */
class PostgresTargetTest {
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static ScratchPostgres pg;

  private RotationHarness h;
  private String user;
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
  void createAppUser() throws SQLException {
    user = "leather_api" + NEXT.incrementAndGet();
    database = user;
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"));
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + user + " LOGIN PASSWORD 'initial-password'");
      s.execute("CREATE DATABASE " + database + " OWNER " + user);
    }
    try (Connection c = login(user, "initial-password");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE posts (id int PRIMARY KEY, body text)");
      s.execute("INSERT INTO posts VALUES (1, 'hello')");
    }
    assertThat(logsIn(user, "wrong-password")).as("the server refuses a wrong password").isFalse();
    assertThat(logsIn(user, "initial-password")).isTrue();
    h = new RotationHarness(PostgresTarget.TYPE, new PostgresTarget());
    h.put(RotationHarness.APP, secret(user, "initial-password"));
    h.put(RotationHarness.ADMIN, admin());
  }

  private DatabaseSecret secret(String username, String password) {
    String json =
        "{\"engine\":\"postgres\",\"host\":\"127.0.0.1\",\"port\":"
            + pg.port()
            + ",\"dbname\":\""
            + database
            + "\",\"username\":\""
            + username
            + "\",\"password\":\""
            + password
            + "\",\"sslmode\":\"disable\"}";
    return DatabaseSecret.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  private DatabaseSecret admin() {
    DatabaseSecret app = secret("postgres", pg.superPassword());
    return app;
  }

  private Connection login(String username, String password) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + database + "?sslmode=disable",
        username,
        password);
  }

  private boolean logsIn(String username, String password) {
    try (Connection c = login(username, password)) {
      return c.isValid(5);
    } catch (SQLException e) {
      assertThat(e.getSQLState()).isIn("28P01", "28000");
      return false;
    }
  }

  private boolean logsIn(DatabaseSecret s) {
    return logsIn(s.username(), s.password());
  }

  private void superuser(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database));
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Test
  void singleUser_changesThePasswordInPlace_withAVerifierSoThePlaintextNeverReachesTheServer()
      throws Exception {
    h.rule(Strategy.SINGLE_USER, Duration.ofHours(24), Map.of());

    Rotation r = h.rotate(false);

    assertThat(r.state()).isEqualTo(RotationState.FINISHED);
    DatabaseSecret now = h.current();
    assertThat(now.username()).isEqualTo(user);
    assertThat(now.password()).isNotEqualTo("initial-password").hasSize(32);
    assertThat(logsIn(now)).isTrue();
    assertThat(logsIn(user, "initial-password")).isFalse();
    // Single-user has no overlap: the old version is retired at finish, whatever --grace says.
    assertThat(h.stages()).containsExactly(Stage.RETIRED, Stage.CURRENT);
    String log = pg.log();
    assertThat(log).contains("ALTER ROLE \"" + user + "\" PASSWORD 'SCRAM-SHA-256$4096:");
    assertThat(log).doesNotContain(now.password());
  }

  @Test
  void setup_createsTheSecondUserAndOwnerRole_andCanRunAgain() throws Exception {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    List<String> first = h.engine().setup(RotationHarness.APP);

    assertThat(first)
        .contains(
            "created role " + user + "_owner (NOLOGIN)",
            "created user " + user + "_b (its password is set by the first rotation)",
            "moved 1 objects of " + user + " to " + user + "_owner in " + database);
    assertThat(first.get(0)).startsWith("checked: postgresql at 127.0.0.1:");
    assertThat(first).last().asString().startsWith("checked: " + user + " and " + user + "_b");
    List<String> again = h.engine().setup(RotationHarness.APP);
    assertThat(again).allMatch(line -> line.startsWith("checked: "));
  }

  @Test
  void setup_refusesAServerThatAcceptsAWrongPassword() {
    String url = TestServices.postgresUrl(); // the machine's server: trust on loopback
    int port = Integer.parseInt(url.replaceAll(".*://[^:]+:(\\d+)/.*", "$1"));
    DatabaseSecret trusting =
        DatabaseSecret.parse(
            ("{\"engine\":\"postgresql\",\"host\":\"127.0.0.1\",\"port\":"
                    + port
                    + ",\"dbname\":\"postgres\",\"username\":\"postgres\",\"password\":\"x\"}")
                .getBytes(StandardCharsets.UTF_8));
    h.put(RotationHarness.APP, trusting);
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of());

    assertThatThrownBy(() -> h.engine().setup(RotationHarness.APP))
        .isInstanceOf(KeyturnException.Conflict.class)
        .hasMessageContaining("accepted a wrong password for postgres")
        .hasMessageContaining("trust or peer");
  }

  @Test
  void alternatingUsers_flipTheUserEachRotation_andThePreviousStaysValidUntilTheNext()
      throws Exception {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ofHours(1), Map.of());
    h.engine().setup(RotationHarness.APP);

    Rotation first = h.rotate(false);

    assertThat(first.state()).isEqualTo(RotationState.FINISHED);
    DatabaseSecret v2 = h.current();
    assertThat(v2.username()).isEqualTo(user + "_b");
    assertThat(logsIn(v2)).isTrue();
    DatabaseSecret v1 = h.read(Selector.stage(Stage.PREVIOUS));
    assertThat(v1.username()).isEqualTo(user);
    assertThat(logsIn(v1)).as("the previous user still works until the next rotation").isTrue();
    Instant nextDue =
        h.store.rotations().rule(RotationHarness.APP).orElseThrow().nextDue().orElseThrow();
    assertThat(h.secrets.describe(RotationHarness.APP).versions().version(1).orElseThrow())
        .extracting(v -> v.acceptUntil().orElseThrow())
        .isEqualTo(nextDue);

    Rotation second = h.rotate(false);

    assertThat(second.state()).isEqualTo(RotationState.FINISHED);
    DatabaseSecret v3 = h.current();
    assertThat(v3.username()).isEqualTo(user);
    assertThat(logsIn(v3)).isTrue();
    assertThat(logsIn(v1)).as("the user's old password changed").isFalse();
    assertThat(logsIn(v2)).isTrue();
    assertThat(h.stages()).containsExactly(Stage.RETIRED, Stage.PREVIOUS, Stage.CURRENT);
  }

  @Test
  void alternatingUsers_aTableCreatedByOneIsReadableAndWritableByTheOther() throws Exception {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    h.engine().setup(RotationHarness.APP);
    h.rotate(false);
    DatabaseSecret b = h.current();
    DatabaseSecret a = h.read(Selector.stage(Stage.PREVIOUS));

    try (Connection c = login(b.username(), b.password());
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE made_by_b (id int)");
      s.execute("INSERT INTO made_by_b VALUES (1)");
      s.execute("INSERT INTO posts VALUES (2, 'from b')");
    }
    try (Connection c = login(a.username(), a.password());
        Statement s = c.createStatement()) {
      s.execute("INSERT INTO made_by_b VALUES (2)");
      s.execute("CREATE TABLE made_by_a (id int)");
      try (ResultSet r = s.executeQuery("SELECT count(*) FROM made_by_b")) {
        r.next();
        assertThat(r.getInt(1)).isEqualTo(2);
      }
    }
    try (Connection c = login(b.username(), b.password());
        Statement s = c.createStatement()) {
      s.execute("INSERT INTO made_by_a VALUES (1)");
      s.execute("DROP TABLE made_by_a");
    }
  }

  @Test
  void alternatingUsers_refuseToFlipWhenTheUsersDiffer() throws Exception {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    h.engine().setup(RotationHarness.APP);
    // A grant given to one user directly after setup: the clone would lack it.
    superuser("CREATE TABLE audit_trail (id int)");
    superuser("GRANT SELECT ON audit_trail TO " + user);

    Rotation r = h.rotate(false);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow())
        .contains(user + " and " + user + "_b differ")
        .contains("only " + user + " has table audit_trail SELECT");
    assertThat(h.current().username()).isEqualTo(user);
    assertThat(logsIn(h.current())).isTrue();
    assertThat(h.stages()).containsExactly(Stage.CURRENT, Stage.RETIRED);

    // Setup moves the direct grant to the owner role; then the flip goes through.
    assertThat(h.engine().setup(RotationHarness.APP))
        .contains("moved 1 direct grants of " + user + " to " + user + "_owner in " + database);
    assertThat(h.rotate(false).state()).isEqualTo(RotationState.FINISHED);
    try (Connection c = login(user + "_b", h.current().password());
        Statement s = c.createStatement()) {
      s.executeQuery("SELECT count(*) FROM audit_trail").close();
    }
  }

  @Test
  void emergency_changesBothUsers_soTheCompromisedOneStopsAtOnce() throws Exception {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    h.engine().setup(RotationHarness.APP);
    h.rotate(false);
    DatabaseSecret compromised = h.current();

    Rotation r = h.rotate(true);

    assertThat(r.state()).isEqualTo(RotationState.FINISHED);
    assertThat(logsIn(compromised)).isFalse();
    assertThat(logsIn(h.current())).isTrue();
    assertThat(h.current().username()).isEqualTo(user);
    assertThat(h.stages()).containsExactly(Stage.RETIRED, Stage.RETIRED, Stage.CURRENT);
  }

  @Test
  void aPasswordChangedOutsideKeyturn_failsLoudly_andMakesNoThirdPassword() throws Exception {
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of());
    superuser("ALTER ROLE " + user + " PASSWORD 'changed-by-hand'");

    Rotation r = h.rotate(false);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow())
        .contains("neither the pending nor the current password of " + user + " logs in");
    assertThat(logsIn(user, "changed-by-hand")).isTrue();
    assertThat(h.stages()).containsExactly(Stage.CURRENT, Stage.RETIRED);
  }

  @Test
  void crashAtEveryStep_singleUser_someStoredVersionAlwaysLogsIn() {
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of());

    int kills = h.crashAtEveryStep(false, this::logsIn);

    assertThat(kills).isGreaterThanOrEqualTo(6);
  }

  @Test
  void crashAtEveryStep_alternatingUsers_someStoredVersionAlwaysLogsIn() {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    h.engine().setup(RotationHarness.APP);

    int kills = h.crashAtEveryStep(false, this::logsIn);
    int emergencyKills = h.crashAtEveryStep(true, this::logsIn);

    assertThat(kills).isGreaterThanOrEqualTo(6);
    assertThat(emergencyKills).isGreaterThanOrEqualTo(6);
  }
}
