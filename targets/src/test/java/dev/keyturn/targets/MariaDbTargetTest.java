package dev.keyturn.targets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Strategy;
import dev.keyturn.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The mariadb target against the machine's MariaDB. Each test makes its own users (with the host
 * patterns {@code %} and {@code 127.0.0.1}), role, administrator and database, and first shows that
 * the server refuses a wrong password.
 */
class MariaDbTargetTest extends DatabaseTargetContract {
  private String rootUrl;
  private String database;
  private String adminUser;
  private String adminPassword;

  @BeforeEach
  void createAppUser() throws SQLException {
    rootUrl = TestServices.mariadbUrl();
    String suffix = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    user = "kt_app_" + suffix;
    database = user;
    adminUser = "kt_admin_" + suffix;
    adminPassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    root("CREATE DATABASE " + database);
    root("CREATE USER '" + adminUser + "'@'%' IDENTIFIED BY '" + adminPassword + "'");
    root("GRANT ALL ON *.* TO '" + adminUser + "'@'%' WITH GRANT OPTION");
    for (String host : List.of("%", "127.0.0.1")) {
      root("CREATE USER '" + user + "'@'" + host + "' IDENTIFIED BY 'initial-password'");
      root("GRANT ALL ON " + database + ".* TO '" + user + "'@'" + host + "'");
    }
    try (Connection c = login(user, "initial-password");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE posts (id int PRIMARY KEY, body text)");
      s.execute("INSERT INTO posts VALUES (1, 'hello')");
    }
    assertThat(logsIn(user, "wrong-password")).as("the server refuses a wrong password").isFalse();
    assertThat(logsIn(user, "initial-password")).isTrue();
    h = new RotationHarness(MariaDbTarget.TYPE, new MariaDbTarget());
    h.put(RotationHarness.APP, secret(user, "initial-password"));
    h.put(RotationHarness.ADMIN, secret(adminUser, adminPassword));
  }

  @AfterEach
  void dropEverything() throws SQLException {
    if (user == null) {
      return;
    }
    for (String u : List.of(user, user + "_b")) {
      for (String host : List.of("%", "127.0.0.1")) {
        root("DROP USER IF EXISTS '" + u + "'@'" + host + "'");
      }
    }
    root("DROP ROLE IF EXISTS " + user + "_owner");
    root("DROP USER IF EXISTS '" + adminUser + "'@'%'");
    root("DROP DATABASE IF EXISTS " + database);
  }

  private void root(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(rootUrl);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private DatabaseSecret secret(String username, String password) {
    String json =
        "{\"engine\":\"mysql\",\"host\":\"127.0.0.1\",\"port\":3306,\"dbname\":\""
            + database
            + "\",\"username\":\""
            + username
            + "\",\"password\":\""
            + password
            + "\"}";
    return DatabaseSecret.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  Connection login(String username, String password) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:mariadb://127.0.0.1:3306/" + database, username, password);
  }

  @Override
  String nextval(String name) {
    return "SELECT NEXTVAL(" + name + ")";
  }

  @Override
  boolean refused(SQLException e) {
    return e.getErrorCode() == 1045;
  }

  @Override
  void asAdmin(String sql) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:mariadb://127.0.0.1:3306/" + database, adminUser, adminPassword);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Override
  void grantDirectlyAfterSetup() throws SQLException {
    root("CREATE DATABASE IF NOT EXISTS " + database + "_audit");
    asAdmin("CREATE TABLE " + database + "_audit.audit_trail (id int)");
    asAdmin("CREATE VIEW audit_trail AS SELECT * FROM " + database + "_audit.audit_trail");
    asAdmin("GRANT SELECT ON " + database + "_audit.* TO '" + user + "'@'%'");
  }

  @AfterEach
  void dropAuditDatabase() throws SQLException {
    if (user != null) {
      root("DROP DATABASE IF EXISTS " + database + "_audit");
    }
  }

  @Override
  String directGrantDifference() {
    return "only " + user + "@% has GRANT SELECT ON `" + database + "_audit`.*";
  }

  @Override
  void changePasswordByHand(String password) throws SQLException {
    for (String host : List.of("%", "127.0.0.1")) {
      root("ALTER USER '" + user + "'@'" + host + "' IDENTIFIED BY '" + password + "'");
    }
  }

  @Test
  void passwords_reachTheServerOnlyAsNativeHashes_unlessTheRuleSaysServer() throws Exception {
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of());
    assertThat(h.rotate(false).state()).isEqualTo(RotationState.FINISHED);
    assertThat(authenticationStrings())
        .containsOnly(MariaDbTarget.nativeHash(h.current().password()));

    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of("password-hash", "server"));
    assertThat(h.rotate(false).state()).isEqualTo(RotationState.FINISHED);
    assertThat(logsIn(h.current())).isTrue();
  }

  @Test
  void passwordsWithQuotesAndBackslashes_areSetExactly_inBothHashModes() throws Exception {
    MariaDbTarget target = new MariaDbTarget();
    DatabaseSecret admin = secret(adminUser, adminPassword);
    Endpoint where =
        new Endpoint(
            "127.0.0.1",
            3306,
            "",
            false,
            java.util.Optional.empty(),
            dev.keyturn.core.Outbound.unrestricted());
    String tricky = "it's a \\ \"test\" `of` ?@? quoting";
    for (String mode : List.of("native", "server")) {
      for (String sqlMode : List.of("", "NO_BACKSLASH_ESCAPES")) {
        var connection = target.connect(where, admin, "", 10);
        connection.createStatement().execute("SET SESSION sql_mode = '" + sqlMode + "'");
        try (var session =
            target.session(where, admin, connection, Map.of("password-hash", mode), 10)) {
          session.changePassword(user, tricky + mode + sqlMode);
        }
        assertThat(logsIn(user, tricky + mode + sqlMode)).as(mode + " " + sqlMode).isTrue();
      }
    }
  }

  @Test
  void aCrashBetweenTwoHostPatterns_isFinishedOnResume() throws Exception {
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of());
    var engine = h.engine();
    String id = engine.start(RotationHarness.APP, java.util.Optional.empty(), false, "t").id();
    engine.step(id); // create: the pending version is stored
    String pending =
        h.read(dev.keyturn.core.Selector.stage(dev.keyturn.core.Stage.PENDING)).password();
    // As if the server died after changing one account of the user and before the other.
    root("ALTER USER '" + user + "'@'127.0.0.1' IDENTIFIED BY '" + pending + "'");

    assertThat(h.engine().runDue(id).state()).isEqualTo(RotationState.FINISHED);

    assertThat(authenticationStrings()).containsOnly(MariaDbTarget.nativeHash(pending));
  }

  private List<String> authenticationStrings() throws SQLException {
    try (Connection c = DriverManager.getConnection(rootUrl);
        PreparedStatement s =
            c.prepareStatement("SELECT authentication_string FROM mysql.user WHERE user = ?")) {
      s.setString(1, user);
      try (ResultSet r = s.executeQuery()) {
        List<String> out = new java.util.ArrayList<>();
        while (r.next()) {
          out.add(r.getString(1));
        }
        return out;
      }
    }
  }

  @Test
  void setup_clonesTheUserOnEveryHostPattern_andCanRunAgain() {
    h.rule(Strategy.ALTERNATING_USERS, Duration.ZERO, Map.of());

    List<String> first = h.engine().setup(RotationHarness.APP);

    assertThat(first)
        .contains(
            "created role " + user + "_owner",
            "created user " + user + "_b@% (its password is set by the first rotation)",
            "created user " + user + "_b@127.0.0.1 (its password is set by the first rotation)",
            "granted " + user + "_owner to " + user + "@%, as its default role");
    assertThat(h.engine().setup(RotationHarness.APP)).allMatch(l -> l.startsWith("checked: "));
  }
}
