package dev.keyturn.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The external services some tests need. A test whose service is not running is skipped with a
 * message naming the service, unless {@code KEYTURN_IT=1} (as in CI), which turns the skip into a
 * failure.
 */
public final class TestServices {
  private TestServices() {}

  /** True when integration services are required (CI). */
  public static boolean required() {
    return "1".equals(System.getenv("KEYTURN_IT"));
  }

  /**
   * The JDBC URL of a PostgreSQL database the tests may create schemas in ({@code
   * KEYTURN_TEST_PG_URL}, default the local server's {@code test} database as {@code postgres}).
   * The default's sessions commit without waiting for the write-ahead log's flush ({@code
   * synchronous_commit=off}): the tests stop and kill Keyturn, never PostgreSQL, so what they check
   * is the same, and most of them make a schema of their own with every migration in it, a few
   * dozen commits that each waited for an fsync of the disk every build shares.
   */
  public static String postgresUrl() {
    String url = System.getenv("KEYTURN_TEST_PG_URL");
    if (url == null || url.isBlank()) {
      url =
          "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"
              + "&options=-c%20synchronous_commit%3Doff";
    }
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute("SELECT 1");
      return url;
    } catch (SQLException e) {
      unavailable("PostgreSQL at " + url.replaceAll("password=[^&]*", "password=***"), e);
      throw new AssertionError("unreachable");
    }
  }

  /**
   * The JDBC URL of a MariaDB (or MySQL) account that may create users, roles and databases ({@code
   * KEYTURN_TEST_MARIADB_URL}, default the local server's {@code root} over TCP).
   */
  public static String mariadbUrl() {
    String url = System.getenv("KEYTURN_TEST_MARIADB_URL");
    if (url == null || url.isBlank()) {
      url = "jdbc:mariadb://127.0.0.1:3306/?user=root";
    }
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute("SELECT 1");
      return url;
    } catch (SQLException e) {
      unavailable("MariaDB at " + url.replaceAll("password=[^&]*", "password=***"), e);
      throw new AssertionError("unreachable");
    }
  }

  /** The local Redis ({@code KEYTURN_TEST_REDIS_PORT}, default 6379 on 127.0.0.1), checked. */
  public static int redisPort() {
    String text = System.getenv("KEYTURN_TEST_REDIS_PORT");
    int port = text == null || text.isBlank() ? 6379 : Integer.parseInt(text);
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
      return port;
    } catch (java.io.IOException e) {
      unavailable("Redis at 127.0.0.1:" + port, e);
      throw new AssertionError("unreachable");
    }
  }

  /** Skips the test (or fails it under {@code KEYTURN_IT=1}) because {@code service} is down. */
  public static void unavailable(String service, Exception cause) {
    String message = service + " is not reachable (" + cause.getMessage() + ")";
    if (required()) {
      Assertions.fail(message + "; KEYTURN_IT=1 requires it", cause);
    }
    Assumptions.abort(message + "; skipping (set KEYTURN_IT=1 to make this a failure)");
  }
}
