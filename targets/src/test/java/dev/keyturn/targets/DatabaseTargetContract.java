package dev.keyturn.targets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What every SQL database target must do against its real server: both strategies, parity refusal,
 * objects shared by alternating users, emergencies, a password changed by hand, and a kill at every
 * step. Subclasses create the app user (with the password {@code initial-password} and a table
 * {@code posts}) and the harness, after showing that the server refuses a wrong password.
 */
abstract class DatabaseTargetContract {
  RotationHarness h;
  String user;

  /** Opens a session as {@code secret}'s user in the app database. */
  abstract Connection login(String username, String password) throws SQLException;

  /** Whether the server refuses this error as a wrong password. */
  abstract boolean refused(SQLException e);

  /** Runs {@code sql} as the administrator in the app database. */
  abstract void asAdmin(String sql) throws SQLException;

  /** Gives the app user SELECT on a new table {@code audit_trail}, directly (not via the role). */
  abstract void grantDirectlyAfterSetup() throws SQLException;

  /** How the parity error names that grant. */
  abstract String directGrantDifference();

  /** Sets the app user's password by hand, outside Keyturn. */
  abstract void changePasswordByHand(String password) throws SQLException;

  /** A query that takes the next value of sequence {@code name}. */
  abstract String nextval(String name);

  /**
   * What a migration runs as {@code who}, step {@code step}, in {@code schema} ({@code ""} or
   * {@code "name."}): a new table and sequence, and on the table, index and sequence the previous
   * step made (as the other user): ALTER TABLE ... ADD COLUMN, CREATE INDEX, nextval, DROP TABLE.
   */
  void migrate(String username, String password, int step, String schema) throws SQLException {
    try (Connection c = login(username, password);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + schema + "m" + step + " (id int PRIMARY KEY, body varchar(20))");
      s.execute("INSERT INTO " + schema + "m" + step + " VALUES (1, 'by " + username + "')");
      s.execute("CREATE SEQUENCE " + schema + "seq" + step);
      if (step > 0) {
        String before = schema + "m" + (step - 1);
        s.execute("ALTER TABLE " + before + " ADD COLUMN extra int");
        s.execute("CREATE INDEX ix" + step + " ON " + before + " (body)");
        s.execute("UPDATE " + before + " SET extra = 1");
        s.executeQuery(nextval(schema + "seq" + (step - 1))).close();
        s.execute("DROP SEQUENCE " + schema + "seq" + (step - 1));
        s.execute("DROP TABLE " + before);
      }
    }
  }

  /**
   * Three flips from the layout the test made, each followed by a migration of the new user on what
   * the other one made (step 0 runs as the original user before the first flip).
   */
  void flipsWithMigrations(String schema) throws SQLException {
    migrate(user, "initial-password", 0, schema);
    for (int step = 1; step <= 3; step++) {
      Rotation r = h.rotate(false);
      assertThat(r.state()).as("flip %s: %s", step, r.reason()).isEqualTo(RotationState.FINISHED);
      DatabaseSecret now = h.current();
      assertThat(now.username()).isEqualTo(step % 2 == 1 ? user + "_b" : user);
      migrate(now.username(), now.password(), step, schema);
    }
  }

  boolean logsIn(String username, String password) {
    try (Connection c = login(username, password)) {
      return c.isValid(5);
    } catch (SQLException e) {
      assertThat(refused(e)).as("refused as a wrong password: %s", e.getMessage()).isTrue();
      return false;
    }
  }

  DatabaseSecret storedAdmin() {
    return DatabaseSecret.parse(
        h.secrets.read(RotationHarness.ADMIN, Selector.current(), false).plaintext().reveal());
  }

  boolean logsIn(DatabaseSecret s) {
    return logsIn(s.username(), s.password());
  }

  @Test
  void singleUser_changesThePasswordInPlace_andRetiresTheOldVersionAtFinish() {
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
  }

  @Test
  void alternatingUsers_flipTheUserEachRotation_andThePreviousStaysValidUntilTheNext() {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ofHours(1), Map.of());
    h.engine().setup(RotationHarness.APP);

    Rotation first = h.rotate(false);

    assertThat(first.state()).as("%s", first.reason()).isEqualTo(RotationState.FINISHED);
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
  void migrations_afterEveryFlip_workOnWhatTheOtherUserMade() throws Exception {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    h.engine().setup(RotationHarness.APP);

    flipsWithMigrations("");
  }

  @Test
  void alternatingUsers_refuseToFlipWhenTheUsersDiffer() throws Exception {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    h.engine().setup(RotationHarness.APP);
    // A grant given to one user directly after setup: the other would lack it after the flip.
    grantDirectlyAfterSetup();

    Rotation r = h.rotate(false);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow())
        .contains(user + " and " + user + "_b differ")
        .contains(directGrantDifference());
    assertThat(h.current().username()).isEqualTo(user);
    assertThat(logsIn(h.current())).isTrue();
    assertThat(h.stages()).containsExactly(Stage.CURRENT, Stage.RETIRED);

    // Setup gives the grant to the role (and the other user); then the flip goes through.
    h.engine().setup(RotationHarness.APP);
    assertThat(h.rotate(false).state()).isEqualTo(RotationState.FINISHED);
    try (Connection c = login(user + "_b", h.current().password());
        Statement s = c.createStatement()) {
      s.executeQuery("SELECT count(*) FROM audit_trail").close();
    }
  }

  @Test
  void emergency_changesBothUsers_soTheCompromisedOneStopsAtOnce() {
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
    changePasswordByHand("changed-by-hand");

    Rotation r = h.rotate(false);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow())
        .contains("neither the pending nor the current password of " + user + " logs in");
    assertThat(logsIn(user, "changed-by-hand")).isTrue();
    assertThat(h.stages()).containsExactly(Stage.CURRENT, Stage.RETIRED);
  }

  @Test
  void valuesRepointedAtAnAttackersServer_areNotFollowed_andTheNewValueCarriesThePinnedPlace()
      throws Exception {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    h.engine().setup(RotationHarness.APP);
    DatabaseSecret real = h.current();
    DatabaseSecret admin = storedAdmin();
    try (AttackerServer fake = AttackerServer.silent()) {
      // What a write token stored before puts were checked: the same logins, another server.
      h.put(RotationHarness.APP, real.at("127.0.0.5", fake.port(), real.dbname()));
      h.put(RotationHarness.ADMIN, admin.at("127.0.0.5", fake.port(), admin.dbname()));

      Rotation r = h.rotate(false);

      assertThat(r.state()).as("%s", r.reason()).isEqualTo(RotationState.FINISHED);
      assertThat(fake.connections()).as("connections to the attacker's server").isZero();
    }
    DatabaseSecret now = h.current();
    assertThat(now.host()).isEqualTo(real.host());
    assertThat(now.port()).isEqualTo(real.port());
    assertThat(now.username()).isEqualTo(user + "_b");
    assertThat(logsIn(now)).isTrue();
  }

  @Test
  void aRefusedAdminCredential_isAFailureThatRetryingCannotMend() {
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of());
    DatabaseSecret admin = storedAdmin();
    h.put(RotationHarness.ADMIN, admin.with(admin.username(), "not-the-admin-password"));

    Rotation r = h.rotate(false);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow()).contains("the admin credential does not log in");
    assertThat(r.checklist().stream().filter(c -> c.name().startsWith("set ")).count())
        .as("set is tried once: an authentication refusal is not retried")
        .isEqualTo(1);
    assertThat(logsIn(user, "initial-password")).isTrue();
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

  /** What a refused connection leaves in the checklist and the reason (issue 11 item 6). */
  static void assertRefusedByTheOutboundList(Rotation r) {
    assertThat(r.state()).as("%s", r.reason()).isEqualTo(RotationState.FAILED);
    assertThat(r.checklist())
        .anySatisfy(c -> {
          assertThat(c.name()).startsWith("set ");
          assertThat(c.ok()).isFalse();
          assertThat(c.message()).isEqualTo(Outbound.REFUSED);
        });
    assertThat(r.reason().orElseThrow())
        .contains("failed: destination not allowed by the operator's outbound list")
        .doesNotContain("Exception");
  }

  @Test
  void scopedAdminsRule_atALoopbackServer_isRefusedBeforeAnythingIsSent() throws Exception {
    try (AttackerServer fake = AttackerServer.silent()) {
      h.globalAdmin = false;
      h.rule(
          Strategy.SINGLE_USER,
          Duration.ZERO,
          Map.of("host", "127.0.0.5", "port", Integer.toString(fake.port())));

      Rotation r = h.rotate(false);

      assertThat(fake.connections()).as("connections that reached the server").isZero();
      assertRefusedByTheOutboundList(r);
    }
  }

  @Test
  void scopedAdminsRule_atANameThatResolvesToLoopback_isRefused() throws Exception {
    try (AttackerServer fake = AttackerServer.silentEverywhere()) {
      h.globalAdmin = false;
      h.host = new HostPolicy(List.of(), List.of(), Outbound.of(List.of("127.0.0.5"), true));
      h.rule(
          Strategy.SINGLE_USER,
          Duration.ZERO,
          Map.of("host", "localhost", "port", Integer.toString(fake.port()), "tls", "disable"));

      Rotation r = h.rotate(false);

      assertThat(fake.connections()).as("connections that reached the server").isZero();
      assertRefusedByTheOutboundList(r);
    }
  }

  @Test
  void scopedAdminsRule_atTheRealServer_worksOnceTheOperatorAllowsItsAddress() throws Exception {
    h.globalAdmin = false;
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of());

    Rotation refused = h.rotate(false);

    assertRefusedByTheOutboundList(refused);
    assertThat(logsIn(user, "initial-password")).as("nothing changed").isTrue();

    h.host = new HostPolicy(List.of(), List.of(), Outbound.of(List.of("127.0.0.1"), false));
    Rotation allowed = h.rotate(false);

    assertThat(allowed.state()).as("%s", allowed.reason()).isEqualTo(RotationState.FINISHED);
    assertThat(logsIn(h.current())).isTrue();
    assertThat(logsIn(user, "initial-password")).isFalse();
  }

  @Test
  void globalAdminsRule_atTheRealServer_needsNoOutboundList() throws Exception {
    try (AttackerServer fake = AttackerServer.silent()) {
      h.globalAdmin = false;
      h.rule(
          Strategy.SINGLE_USER,
          Duration.ZERO,
          Map.of("host", "127.0.0.5", "port", Integer.toString(fake.port())));
      assertRefusedByTheOutboundList(h.rotate(false));
      assertThat(fake.connections()).isZero();
    }
    h.globalAdmin = true;
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of("host", "127.0.0.1"));

    Rotation r = h.rotate(false);

    assertThat(h.host.outbound().isUnrestricted()).isFalse();
    assertThat(r.state()).as("%s", r.reason()).isEqualTo(RotationState.FINISHED);
    assertThat(logsIn(h.current())).isTrue();
  }
}
