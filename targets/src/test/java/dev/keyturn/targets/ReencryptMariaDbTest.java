package dev.keyturn.targets;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The reencrypt strategy on the machine's MariaDB; one database and admin user per test. */
class ReencryptMariaDbTest extends ReencryptContract {
  private String rootUrl;
  private String database;
  private String adminUser;

  @BeforeEach
  void createDatabase() throws SQLException {
    rootUrl = TestServices.mariadbUrl();
    String suffix = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    database = "kt_reencrypt_" + suffix;
    adminUser = "kt_radmin_" + suffix;
    String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    root("CREATE DATABASE " + database);
    root("CREATE USER '" + adminUser + "'@'%' IDENTIFIED BY '" + password + "'");
    root("GRANT SELECT, UPDATE ON " + database + ".* TO '" + adminUser + "'@'%'");
    h = new ReencryptHarness(MariaDbTarget.TYPE, new MariaDbTarget());
    h.putKey(FernetKeyring.generateKey(h.random));
    h.putAdmin(secret(adminUser, password));
  }

  @AfterEach
  void drop() throws SQLException {
    if (database != null) {
      root("DROP DATABASE IF EXISTS " + database);
      root("DROP USER IF EXISTS '" + adminUser + "'@'%'");
      root("DROP USER IF EXISTS '" + adminUser + "_r'@'%'");
    }
  }

  private void root(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(rootUrl);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private DatabaseSecret secret(String user, String password) {
    return DatabaseSecret.parse(
        ("{\"engine\":\"mysql\",\"host\":\"127.0.0.1\",\"port\":3306,\"dbname\":\""
                + database
                + "\",\"username\":\""
                + user
                + "\",\"password\":\""
                + password
                + "\"}")
            .getBytes(StandardCharsets.UTF_8));
  }

  @Override
  Connection app() throws SQLException {
    String url = rootUrl.replace("3306/", "3306/" + database);
    return DriverManager.getConnection(url);
  }

  @Override
  void selectOnlyAdmin() throws SQLException {
    String user = adminUser + "_r";
    root("CREATE USER '" + user + "'@'%' IDENTIFIED BY 'reader-password'");
    root("GRANT SELECT ON " + database + "." + TABLE + " TO '" + user + "'@'%'");
    h.putAdmin(secret(user, "reader-password"));
  }

  @Override
  String binaryType() {
    return "varbinary(255)";
  }
}
