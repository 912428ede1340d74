package dev.keyturn.client;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import org.junit.jupiter.api.Assumptions;

/**
 * Logins on the local MariaDB (127.0.0.1:3306, root without a password), which checks the passwords
 * of the users a test makes: a database and users with random names, dropped by {@link #close}.
 * Without that server the test is skipped, or fails under {@code KEYTURN_IT=1}.
 */
final class MariaDbLogins implements AutoCloseable {
  static final String ROOT_URL = "jdbc:mariadb://127.0.0.1:3306/";
  final String prefix = "rdsc_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
  final String database = prefix;

  static MariaDbLogins start() {
    try (Connection c = root()) {
      c.isValid(5);
    } catch (SQLException e) {
      if (System.getenv("KEYTURN_IT") != null) {
        throw new AssertionError("MariaDB at 127.0.0.1:3306 (root, no password) is not running", e);
      }
      Assumptions.abort("MariaDB at 127.0.0.1:3306 (root, no password) is not running");
    }
    MariaDbLogins logins = new MariaDbLogins();
    logins.sql("CREATE DATABASE " + logins.database);
    return logins;
  }

  static Connection root() throws SQLException {
    return DriverManager.getConnection(ROOT_URL, "root", "");
  }

  /** Creates (or re-creates) user {@code prefix_suffix} with {@code password} and all on the db. */
  String user(String suffix, String password) {
    String user = prefix + "_" + suffix;
    sql("DROP USER IF EXISTS '" + user + "'@'%'");
    sql("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'");
    sql("GRANT ALL ON " + database + ".* TO '" + user + "'@'%'");
    return user;
  }

  void password(String user, String password) {
    sql("ALTER USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'");
  }

  /** How many server connections {@code user} has open now. */
  int connections(String user) {
    try (Connection c = root();
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT count(*) FROM information_schema.processlist WHERE user = '"
                    + user
                    + "'")) {
      r.next();
      return r.getInt(1);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** Ends every server connection of {@code user}, as a database restart would. */
  void kill(String user) {
    try (Connection c = root();
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery(
                "SELECT id FROM information_schema.processlist WHERE user = '" + user + "'")) {
      while (r.next()) {
        try (Statement k = c.createStatement()) {
          k.execute("KILL CONNECTION " + r.getLong(1));
        }
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** A database secret's JSON for {@code user}. */
  String secret(String user, String password) {
    return "{\"engine\":\"mariadb\",\"host\":\"127.0.0.1\",\"port\":3306,\"dbname\":\""
        + database
        + "\",\"username\":\""
        + user
        + "\",\"password\":\""
        + password
        + "\"}";
  }

  void sql(String statement) {
    try (Connection c = root();
        Statement s = c.createStatement()) {
      s.execute(statement);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    try (Connection c = root();
        Statement s = c.createStatement();
        ResultSet r =
            s.executeQuery("SELECT user FROM mysql.user WHERE user LIKE '" + prefix + "\\_%'")) {
      java.util.List<String> users = new java.util.ArrayList<>();
      while (r.next()) {
        users.add(r.getString(1));
      }
      for (String user : users) {
        s.execute("DROP USER IF EXISTS '" + user + "'@'%'");
      }
      s.execute("DROP DATABASE IF EXISTS " + database);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }
}
