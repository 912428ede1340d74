package dev.keyturn.targets;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.targets.internal.DriverSockets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Target {@code postgresql} (alias {@code postgres}). Passwords are set with {@code ALTER ROLE ...
 * PASSWORD} and a SCRAM-SHA-256 verifier computed here, so the plaintext never reaches the server
 * or its log. Alternating users share a NOLOGIN owner role that holds the grants and owns the
 * objects; both users act as it ({@code ALTER ROLE ... SET role}), so a table either creates
 * belongs to both. The test is a login and {@code SELECT 1}.
 *
 * <p>Settings: {@code admin} (the secret holding an administrator's credential: a superuser, or a
 * role with CREATEROLE that may reassign the users' objects), {@code username} and for alternating
 * users {@code alt-username} and {@code owner-role} (defaults: the current user, it with {@code
 * _b}, it with {@code _owner}); the pinned {@link Endpoint} ({@code host}, {@code port}, {@code
 * dbname}, {@code tls}, {@code tls-ca}); {@code timeout-seconds} (default 10).
 *
 * <p>Connections are built from driver properties (no URL holds a name or value), authenticate with
 * SCRAM-SHA-256 only ({@code requireAuth}: a server asking for a clear-text or MD5 password gets
 * nothing), use TLS with {@code sslmode=verify-full} unless the rule says {@code tls=disable}, and
 * run with {@code search_path = pg_catalog, pg_temp}, so that functions an app user plants in its
 * own database are never called by the admin session; catalog functions are schema-qualified as
 * well. Their sockets connect only to addresses the step's outbound policy allows (pgjdbc's {@code
 * socketFactory}, checked on the address the driver resolved).
 */
public final class PostgresTarget extends DatabaseTarget {
  public static final String TYPE = "postgresql";

  /** A PostgreSQL target trusting no declared CA files (the JVM's CAs only). */
  public PostgresTarget() {
    this(dev.keyturn.core.HostPolicy.none());
  }

  /**
   * A PostgreSQL target whose rules' {@code tls-ca} may name the CA files {@code host} declares.
   */
  public PostgresTarget(dev.keyturn.core.HostPolicy host) {
    super(host);
  }

  @Override
  String engine() {
    return TYPE;
  }

  /** The only schemas an admin session resolves names in; nothing an app user can create in. */
  static final String SEARCH_PATH = "pg_catalog, pg_temp";

  @Override
  boolean refused(SQLException e) {
    return "28P01".equals(e.getSQLState()) || "28000".equals(e.getSQLState());
  }

  @Override
  boolean methodRefused(SQLException e) {
    // pgjdbc's requireAuth refusal (trust, password or md5 asked for): connection rejected.
    return "08004".equals(e.getSQLState());
  }

  @Override
  String code(SQLException e) {
    String state = Objects.requireNonNullElse(e.getSQLState(), "none");
    return "SQLState "
        + state
        + switch (state) {
          case "42501" -> ": the admin credential lacks a privilege";
          case "3D000" -> ": no such database";
          case "08001", "08006" -> ": cannot connect";
          default -> "";
        };
  }

  @Override
  SweepTable sweepTable(Connection connection, String table, String idColumn, String column) {
    return new PostgresSweepTable(connection, table, idColumn, column);
  }

  @Override
  String adminDatabase(Endpoint where) {
    return where.dbname();
  }

  @Override
  Session session(
      Endpoint where,
      DatabaseSecret admin,
      Connection connection,
      Map<String, String> settings,
      int timeout) {
    return new PostgresSession(this, where, admin, connection, timeout);
  }

  @Override
  Connection connect(Endpoint where, DatabaseSecret login, String dbname, int timeoutSeconds)
      throws SQLException {
    Properties props = new Properties();
    props.setProperty("PGHOST", where.host());
    props.setProperty("PGPORT", Integer.toString(where.port()));
    props.setProperty("PGDBNAME", dbname);
    props.setProperty("user", login.username());
    props.setProperty("password", login.password());
    props.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
    props.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
    props.setProperty("socketTimeout", Integer.toString(timeoutSeconds * 3));
    props.setProperty("ApplicationName", "keyturn");
    props.setProperty("requireAuth", "scram-sha-256");
    props.setProperty("gssEncMode", "disable");
    props.setProperty("options", "-c search_path=" + SEARCH_PATH.replace(" ", ""));
    if (where.tls()) {
      props.setProperty("sslmode", "verify-full");
      if (where.tlsCa().isPresent()) {
        props.setProperty("sslrootcert", where.tlsCa().get());
      } else {
        props.setProperty("sslfactory", "org.postgresql.ssl.DefaultJavaSSLFactory");
      }
    } else {
      props.setProperty("sslmode", "disable");
    }
    // The driver makes Keyturn's socket factory, which connects only where the policy allows.
    props.setProperty("socketFactory", DriverSockets.Postgres.class.getName());
    try (DriverSockets.Lease lease = DriverSockets.lease(where.outbound(), where.host())) {
      props.setProperty("socketFactoryArg", lease.key());
      // No URL string: host, port and database reach the driver as properties, taken verbatim.
      Connection c = DRIVER.connect("jdbc:postgresql://", props);
      if (c == null) {
        throw new SQLException("the PostgreSQL driver refused its properties", "08001");
      }
      return c;
    } catch (SQLException e) {
      throw refusalOr(e);
    }
  }

  private static final org.postgresql.Driver DRIVER = new org.postgresql.Driver();

  static String ident(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }
}
