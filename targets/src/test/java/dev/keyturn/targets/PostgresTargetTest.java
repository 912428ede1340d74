package dev.keyturn.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Strategy;
import dev.keyturn.testing.ScratchPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
class PostgresTargetTest extends DatabaseTargetContract {
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

  @Override
  Connection login(String username, String password) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + database + "?sslmode=disable",
        username,
        password);
  }

  @Test
  void passwords_reachTheServerOnlyAsScramVerifiers() throws Exception {
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of());

    assertThat(h.rotate(false).state()).isEqualTo(RotationState.FINISHED);

    DatabaseSecret now = h.current();
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
    try (ScratchPostgres trust = ScratchPostgres.start("trust")) {
      setupRefuses(trust.port());
    }
  }

  private void setupRefuses(int port) {
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
        .hasMessageContaining("did not ask postgres for a password Keyturn sends")
        .hasMessageContaining("trust or peer");
  }

  @Override
  String nextval(String name) {
    return "SELECT nextval('" + name + "')";
  }

  /** The layout of {@code CREATE DATABASE app OWNER app} before the first migration: no tables. */
  @Test
  void layout_databaseOwnedByTheAppUser_isHandedToTheOwnerRole() throws Exception {
    try (Connection c = login(user, "initial-password");
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE posts");
    }
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());

    assertThat(h.engine().setup(RotationHarness.APP))
        .contains("gave the database " + database + " of " + user + " to " + user + "_owner");

    flipsWithMigrations("");
  }

  /** A database a superuser owns, with grants (and default privileges) for the app user. */
  @Test
  void layout_databaseOwnedByASuperuserWithGrants_movesGrantsAndDefaultsToTheOwnerRole()
      throws Exception {
    database = user + "_su";
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl("postgres"));
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + database);
      s.execute("GRANT ALL ON DATABASE " + database + " TO " + user);
    }
    asAdmin("GRANT ALL ON SCHEMA public TO " + user);
    asAdmin("CREATE TABLE reports (id int)");
    asAdmin("GRANT SELECT ON reports TO " + user);
    asAdmin(
        "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES TO "
            + user);
    h.put(RotationHarness.APP, secret(user, "initial-password"));
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());

    assertThat(h.engine().setup(RotationHarness.APP))
        .contains(
            "moved 6 direct grants of " + user + " to " + user + "_owner in " + database,
            "moved 1 default privileges of " + user + " to " + user + "_owner in " + database);
    asAdmin("CREATE TABLE reports_later (id int)");

    flipsWithMigrations("");
    assertThat(h.current().username()).isEqualTo(user + "_b");
    try (Connection c = login(user + "_b", h.current().password());
        Statement s = c.createStatement()) {
      s.executeQuery("SELECT count(*) FROM reports").close();
      s.executeQuery("SELECT count(*) FROM reports_later").close();
    }
  }

  /** Objects in a second schema the app user owns. */
  @Test
  void layout_objectsInASecondSchema_areSharedToo() throws Exception {
    try (Connection c = login(user, "initial-password");
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA billing");
      s.execute("CREATE TABLE billing.invoices (id int)");
    }
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    h.engine().setup(RotationHarness.APP);

    flipsWithMigrations("billing.");
    try (Connection c = login(h.current().username(), h.current().password());
        Statement s = c.createStatement()) {
      s.execute("ALTER TABLE billing.invoices ADD COLUMN total int");
      s.execute("DROP TABLE billing.invoices");
    }
  }

  @Test
  void parity_seesADatabaseOneUserOwns_andADefaultPrivilegeOnlyOneHas() throws Exception {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    h.engine().setup(RotationHarness.APP);
    asAdmin("ALTER DATABASE " + database + " OWNER TO " + user);
    asAdmin("ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT SELECT ON TABLES TO " + user);

    Rotation refused = h.rotate(false);

    assertThat(refused.state()).isEqualTo(RotationState.FAILED);
    assertThat(refused.reason().orElseThrow())
        .contains(user + " owns the database " + database)
        .contains("only " + user + " has by default TABLES SELECT (objects of postgres)");
    h.engine().setup(RotationHarness.APP);
    assertThat(h.rotate(false).state()).isEqualTo(RotationState.FINISHED);
  }

  @Override
  boolean refused(SQLException e) {
    return "28P01".equals(e.getSQLState()) || "28000".equals(e.getSQLState());
  }

  @Override
  void asAdmin(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database));
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Override
  void grantDirectlyAfterSetup() throws SQLException {
    asAdmin("CREATE TABLE audit_trail (id int)");
    asAdmin("GRANT SELECT ON audit_trail TO " + user);
  }

  @Override
  String directGrantDifference() {
    return "only " + user + " has table public.audit_trail SELECT";
  }

  @Override
  void changePasswordByHand(String password) throws SQLException {
    asAdmin("ALTER ROLE " + user + " PASSWORD '" + password + "'");
  }

  @Test
  void setup_movesADirectGrantToTheOwnerRole() throws Exception {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    h.engine().setup(RotationHarness.APP);
    grantDirectlyAfterSetup();

    assertThat(h.engine().setup(RotationHarness.APP))
        .contains("moved 1 direct grants of " + user + " to " + user + "_owner in " + database);
  }

  @Test
  void parity_coversTheConnectionLimit_andSetupCopiesIt() throws Exception {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());
    h.engine().setup(RotationHarness.APP);
    asAdmin("ALTER ROLE " + user + " CONNECTION LIMIT 20");

    Rotation refused = h.rotate(false);

    assertThat(refused.state()).isEqualTo(RotationState.FAILED);
    assertThat(refused.reason().orElseThrow()).contains("rolconnlimit differs");
    assertThat(h.engine().setup(RotationHarness.APP))
        .contains("set the connection limit of " + user + "_b to that of " + user);
    assertThat(h.rotate(false).state()).isEqualTo(RotationState.FINISHED);
  }

  @Test
  void theAdminCredential_rotatesItself() throws Exception {
    String admin = "kt_admin_" + user;
    asAdmin("CREATE ROLE " + admin + " SUPERUSER LOGIN PASSWORD 'admin-initial'");
    DatabaseSecret adminSecret = secret(admin, "admin-initial");
    h.put(RotationHarness.ADMIN, adminSecret);
    h.rule(RotationHarness.ADMIN, Strategy.SINGLE_USER, Duration.ZERO, Map.of());

    assertThat(h.rotate(RotationHarness.ADMIN, false).state()).isEqualTo(RotationState.FINISHED);

    DatabaseSecret rotated =
        DatabaseSecret.parse(
            h.secrets.read(RotationHarness.ADMIN, Selector.current(), false).plaintext().reveal());
    assertThat(logsIn(admin, "admin-initial")).isFalse();
    assertThat(logsIn(rotated)).isTrue();
    // And the app's rotation uses the new admin password.
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of());
    assertThat(h.rotate(false).state()).isEqualTo(RotationState.FINISHED);
  }

  @Test
  void aServerAskingForAClearTextPassword_isRefused_andReceivesNoPassword() throws Exception {
    try (AttackerServer fake = AttackerServer.postgresAskingForClearText()) {
      Endpoint there =
          new Endpoint(
              "127.0.0.5",
              fake.port(),
              database,
              false,
              Optional.empty(),
              dev.keyturn.core.Outbound.unrestricted());
      DatabaseSecret login = secret(user, "canary-clear-text-password");

      assertThatThrownBy(() -> new PostgresTarget().logsIn(there, login, 5))
          .isInstanceOf(KeyturnException.Conflict.class)
          .hasMessageContaining("did not ask " + user + " for a password Keyturn sends");

      assertThat(fake.connections()).isEqualTo(1);
      assertThat(fake.received()).contains(user).doesNotContain("canary-clear-text-password");
    }
  }

  @Test
  void aClusterWithClearTextPasswordAuthentication_isRefusedBeforeAPasswordIsSent()
      throws Exception {
    try (ScratchPostgres clear = ScratchPostgres.start("password")) {
      try (Connection c = DriverManager.getConnection(clear.jdbcUrl("postgres"));
          Statement s = c.createStatement()) {
        s.execute("CREATE ROLE " + user + " LOGIN PASSWORD 'initial-password'");
      }
      Endpoint there =
          new Endpoint(
              "127.0.0.1",
              clear.port(),
              "postgres",
              false,
              Optional.empty(),
              dev.keyturn.core.Outbound.unrestricted());

      assertThatThrownBy(
              () -> new PostgresTarget().logsIn(there, secret(user, "initial-password"), 5))
          .isInstanceOf(KeyturnException.Conflict.class)
          .hasMessageContaining("did not ask " + user);
      assertThat(clear.log()).doesNotContain("initial-password\u0000");
    }
  }

  @Test
  void functionsPlantedByTheAppUser_areNeverRunByTheAdminSession() throws Exception {
    // As the app user, in the database it owns: versions of the functions the admin session
    // calls, with argument types that beat pg_catalog's on a default search_path. Each makes the
    // app user a superuser when a superuser runs it.
    String escalate =
        " LANGUAGE plpgsql AS $f$ BEGIN EXECUTE 'ALTER ROLE "
            + user
            + " SUPERUSER'; INSERT INTO public.hijacked VALUES (1); ";
    try (Connection c = login(user, "initial-password");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE public.hijacked (n int)");
      s.execute("GRANT ALL ON public.hijacked TO PUBLIC");
      s.execute(
          "CREATE FUNCTION public.unnest(text[]) RETURNS SETOF text"
              + escalate
              + "RETURN; END $f$");
      s.execute(
          "CREATE FUNCTION public.array_to_string(text[], text) RETURNS text"
              + escalate
              + "RETURN ''; END $f$");
      s.execute(
          "CREATE FUNCTION public.quote_ident(name) RETURNS text"
              + escalate
              + "RETURN ''; END $f$");
      s.execute(
          "CREATE FUNCTION public.format(text, VARIADIC text[]) RETURNS text"
              + escalate
              + "RETURN ''; END $f$");
      s.execute(
          "CREATE FUNCTION public.evil_agg(text, name, text) RETURNS text"
              + escalate
              + "RETURN ''; END $f$");
      s.execute(
          "CREATE AGGREGATE public.string_agg(name, text) (SFUNC = public.evil_agg,"
              + " STYPE = text)");
      s.execute(
          "CREATE FUNCTION public.aclexplode(aclitem[]) RETURNS TABLE (grantor oid, grantee oid,"
              + " privilege_type text, is_grantable boolean)"
              + escalate
              + "RETURN; END $f$");
      s.execute(
          "CREATE FUNCTION public.current_database() RETURNS name"
              + escalate
              + "RETURN 'x'; END $f$");
    }
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());

    h.engine().setup(RotationHarness.APP);
    Rotation first = h.rotate(false);
    Rotation second = h.rotate(false);

    assertThat(first.state()).as("%s", first.reason()).isEqualTo(RotationState.FINISHED);
    assertThat(second.state()).as("%s", second.reason()).isEqualTo(RotationState.FINISHED);
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(database));
        Statement s = c.createStatement();
        java.sql.ResultSet r =
            s.executeQuery(
                "SELECT (SELECT count(*) FROM pg_roles WHERE rolsuper AND rolname LIKE '"
                    + user
                    + "%'), (SELECT count(*) FROM public.hijacked)")) {
      r.next();
      assertThat(r.getInt(1)).as("roles of the app made superuser").isZero();
      assertThat(r.getInt(2)).as("planted functions run").isZero();
    }
  }
}
