package dev.keyturn.targets;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.targets.internal.DriverSockets;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mariadb.jdbc.Configuration;
import org.mariadb.jdbc.HostAddress;
import org.mariadb.jdbc.NonRegisteringDriver;

/**
 * Target {@code mariadb} (alias {@code mysql}). An account is {@code user@host}; a password change
 * applies to every host pattern of the user, with {@code ALTER USER ... IDENTIFIED BY PASSWORD} and
 * the {@code mysql_native_password} hash computed here, so the plaintext never reaches the server
 * or its logs ({@code password-hash=server} sends {@code IDENTIFIED BY} with the plaintext instead,
 * for servers whose users use another authentication plugin). Alternating users have the same host
 * patterns and one role with the grants, their default role. The test is a login and {@code SELECT
 * 1}.
 *
 * <p>Settings: {@code admin} (the secret holding an account with {@code CREATE USER} and {@code
 * GRANT OPTION}), for alternating users {@code username}, {@code alt-username} and {@code
 * owner-role} (the role; defaults as for PostgreSQL), {@code password-hash} ({@code native}, the
 * default, or {@code server}), {@code timeout-seconds} (default 10), and the pinned {@link
 * Endpoint} ({@code host}, {@code port}, {@code dbname}, {@code tls}, {@code tls-ca}).
 *
 * <p>Connections are built with the driver's {@code Configuration.Builder} (no URL, so a database
 * name cannot carry driver options), accept only authentication plugins that never send the
 * password in the clear ({@code restrictedAuth}: native, ed25519, parsec, caching_sha2 without
 * public key retrieval), never read local files for the server ({@code allowLocalInfile=false}),
 * and use TLS with {@code sslMode=verify-full} unless the rule says {@code tls=disable}. Their
 * sockets connect only to addresses the step's outbound policy allows (the driver's {@code
 * socketFactory}, checked on the address the driver resolved).
 */
public final class MariaDbTarget extends DatabaseTarget {
  public static final String TYPE = "mariadb";

  private static final Pattern GRANT =
      Pattern.compile("GRANT (.+) ON (.+) TO USER( WITH GRANT OPTION)?");
  private static final Pattern ROLE_GRANT = Pattern.compile("GRANT (`[^`]+`) TO USER");

  /** A MariaDB target trusting no declared CA files (the JVM's CAs only). */
  public MariaDbTarget() {
    this(dev.keyturn.core.HostPolicy.none());
  }

  /** A MariaDB target whose rules' {@code tls-ca} may name the CA files {@code host} declares. */
  public MariaDbTarget(dev.keyturn.core.HostPolicy host) {
    super(host);
  }

  @Override
  String engine() {
    return TYPE;
  }

  @Override
  List<String> settingNames() {
    List<String> names = new ArrayList<>(super.settingNames());
    names.add("password-hash");
    return names;
  }

  @Override
  public void validate(
      dev.keyturn.core.RotationRule rule,
      java.util.function.Function<dev.keyturn.core.SecretName, dev.keyturn.core.SecretValue>
          secrets) {
    super.validate(rule, secrets);
    dev.keyturn.core.SettingChecks.target(rule).oneOf("password-hash", List.of("native", "server"));
  }

  @Override
  public dev.keyturn.core.RotationRule prepare(
      dev.keyturn.core.RotationRule rule, dev.keyturn.core.SecretValue current) {
    String hash = rule.target().getOrDefault("password-hash", "native");
    if (!hash.equals("native") && !hash.equals("server")) {
      throw new KeyturnException.InvalidInput("password-hash is native or server");
    }
    return super.prepare(rule, current);
  }

  /** The URL whose defaults every connection starts from; it holds no name or value. */
  private static final String BASE_URL = "jdbc:mariadb://localhost/";

  /** Authentication plugins that never hand the password itself to the server. */
  static final String SAFE_AUTH =
      "mysql_native_password,client_ed25519,parsec,caching_sha2_password";

  @Override
  boolean refused(SQLException e) {
    return e.getErrorCode() == 1045;
  }

  @Override
  boolean methodRefused(SQLException e) {
    // restrictedAuth: the server asked for a plugin outside SAFE_AUTH (mysql_clear_password, PAM).
    return String.valueOf(e.getMessage()).contains("restrict authentication plugin");
  }

  @Override
  String code(SQLException e) {
    return "error "
        + e.getErrorCode()
        + switch (e.getErrorCode()) {
          case 1044 -> ": no access to the database";
          case 1227, 1142 -> ": the admin credential lacks a privilege";
          case 1049 -> ": no such database";
          default -> "";
        };
  }

  @Override
  SweepTable sweepTable(Connection connection, String table, String idColumn, String column) {
    return new MariaDbSweepTable(connection, table, idColumn, column);
  }

  @Override
  String adminDatabase(Endpoint where) {
    return "";
  }

  @Override
  Session session(
      Endpoint where,
      DatabaseSecret admin,
      Connection connection,
      Map<String, String> settings,
      int timeout) {
    return new MariaSession(admin, connection, "server".equals(settings.get("password-hash")));
  }

  @Override
  Connection connect(Endpoint where, DatabaseSecret login, String dbname, int timeoutSeconds)
      throws SQLException {
    try (DriverSockets.Lease lease = DriverSockets.lease(where.outbound(), where.host())) {
      return NonRegisteringDriver.connect(
          configuration(where, login, dbname, timeoutSeconds, lease));
    } catch (SQLException e) {
      throw refusalOr(e);
    }
  }

  /**
   * The driver's defaults, parsed from a constant URL with only the socket factory's key as an
   * option; everything that matters is set with the builder, so no name or value is ever parsed out
   * of a URL.
   */
  private static Configuration configuration(
      Endpoint where,
      DatabaseSecret login,
      String dbname,
      int timeoutSeconds,
      DriverSockets.Lease lease)
      throws SQLException {
    java.util.Properties key = new java.util.Properties();
    key.setProperty(DriverSockets.MARIADB_OPTION, lease.key());
    Configuration.Builder config =
        Configuration.parse(BASE_URL, key).toBuilder()
            .socketFactory(DriverSockets.MariaDb.class.getName())
            .addresses(HostAddress.from(where.host(), where.port()))
            .user(login.username())
            .password(login.password())
            .connectTimeout(timeoutSeconds * 1000)
            .socketTimeout(timeoutSeconds * 3000)
            .restrictedAuth(SAFE_AUTH)
            .allowPublicKeyRetrieval(false)
            .allowLocalInfile(false)
            .sslMode(where.tls() ? "verify-full" : "disable");
    if (!dbname.isEmpty()) {
      config.database(dbname);
    }
    where.tlsCa().ifPresent(config::serverSslCert);
    return config.build();
  }

  /** The {@code mysql_native_password} hash: {@code *} and SHA1(SHA1(password)) in hex. */
  static String nativeHash(String password) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      byte[] once = sha1.digest(password.getBytes(StandardCharsets.UTF_8));
      return "*" + HexFormat.of().withUpperCase().formatHex(sha1.digest(once));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }

  static String ident(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  private final class MariaSession implements Session {
    private final DatabaseSecret admin;
    private final Connection connection;
    private final boolean plaintextToServer;

    MariaSession(DatabaseSecret admin, Connection connection, boolean plaintextToServer) {
      this.admin = admin;
      this.connection = connection;
      this.plaintextToServer = plaintextToServer;
    }

    /**
     * Runs a statement whose {@code ?} are filled in by the driver, which quotes them for the
     * session's {@code sql_mode} (with or without backslash escapes): account names as {@code ?@?},
     * passwords and hashes.
     */
    private void run(String sql, String... params) throws SQLException {
      try (PreparedStatement s = connection.prepareStatement(sql)) {
        for (int i = 0; i < params.length; i++) {
          s.setString(i + 1, params[i]);
        }
        s.execute();
      }
    }

    @Override
    public void changePassword(String user, String password) {
      List<String> hosts = hosts(user);
      if (hosts.isEmpty()) {
        throw new KeyturnException.TargetFailure(user + " does not exist on " + where(admin));
      }
      try {
        for (String host : hosts) {
          if (plaintextToServer) {
            run("ALTER USER ?@? IDENTIFIED BY ?", user, host, password);
          } else {
            run("ALTER USER ?@? IDENTIFIED BY PASSWORD ?", user, host, nativeHash(password));
          }
        }
      } catch (SQLException e) {
        throw failed("change the password of " + user, e);
      }
    }

    /** The user's host patterns. */
    private List<String> hosts(String user) {
      List<String> out = new ArrayList<>();
      try (PreparedStatement s =
          connection.prepareStatement(
              "SELECT host FROM mysql.user WHERE user = ? AND host <> '' ORDER BY host")) {
        s.setString(1, user);
        try (ResultSet r = s.executeQuery()) {
          while (r.next()) {
            out.add(r.getString(1));
          }
        }
      } catch (SQLException e) {
        throw failed("read the accounts of " + user, e);
      }
      return out;
    }

    private boolean roleExists(String role) {
      try (PreparedStatement s =
          connection.prepareStatement("SELECT 1 FROM mysql.user WHERE user = ? AND host = ''")) {
        s.setString(1, role);
        try (ResultSet r = s.executeQuery()) {
          return r.next();
        }
      } catch (SQLException e) {
        throw failed("read the roles", e);
      }
    }

    /**
     * SHOW GRANTS for an account with the account written as {@code USER} and credentials cut out,
     * so that two users' lists compare and nothing secret leaves this method.
     */
    private TreeSet<String> grants(String user, String host) {
      TreeSet<String> out = new TreeSet<>();
      String me = "`" + user.replace("`", "``") + "`@`" + host.replace("`", "``") + "`";
      try (PreparedStatement s = connection.prepareStatement("SHOW GRANTS FOR ?@?")) {
        s.setString(1, user);
        s.setString(2, host);
        ResultSet r = s.executeQuery();
        while (r.next()) {
          String line =
              r.getString(1)
                  .replace(me, "USER")
                  .replaceAll(" IDENTIFIED BY PASSWORD '[^']*'", "")
                  .replaceAll(
                      " IDENTIFIED VIA \\S+( USING '[^']*')?( OR \\S+( USING '[^']*')?)*", "");
          out.add(line);
        }
      } catch (SQLException e) {
        throw failed("read the grants of " + user, e);
      }
      return out;
    }

    @Override
    public List<String> differences(String user, String alt, String ownerRole) {
      List<String> out = new ArrayList<>();
      List<String> hosts = hosts(user);
      List<String> altHosts = hosts(alt);
      if (hosts.isEmpty() || altHosts.isEmpty()) {
        out.add((hosts.isEmpty() ? user : alt) + " does not exist");
        return out;
      }
      if (!hosts.equals(altHosts)) {
        out.add("host patterns differ");
        return out;
      }
      for (String host : hosts) {
        TreeSet<String> mine = grants(user, host);
        TreeSet<String> theirs = grants(alt, host);
        if (!mine.contains("GRANT " + ident(ownerRole) + " TO USER")) {
          out.add(user + "@" + host + " lacks the role " + ownerRole);
        }
        for (String g : mine) {
          if (!theirs.contains(g)) {
            out.add("only " + user + "@" + host + " has " + g.replace(" TO USER", ""));
          }
        }
        for (String g : theirs) {
          if (!mine.contains(g)) {
            out.add("only " + alt + "@" + host + " has " + g.replace(" TO USER", ""));
          }
        }
      }
      return out;
    }

    @Override
    public List<String> setup(String user, String alt, String ownerRole, String password) {
      List<String> done = new ArrayList<>();
      List<String> hosts = hosts(user);
      if (hosts.isEmpty()) {
        throw new KeyturnException.InvalidInput(user + " does not exist on " + where(admin));
      }
      try (Statement s = connection.createStatement()) {
        if (!roleExists(ownerRole)) {
          s.execute("CREATE ROLE " + ident(ownerRole));
          done.add("created role " + ownerRole);
        }
        List<String> altHosts = hosts(alt);
        for (String host : hosts) {
          if (!altHosts.contains(host)) {
            run("CREATE USER ?@? IDENTIFIED BY PASSWORD ?", alt, host, nativeHash(password));
            done.add(
                "created user "
                    + alt
                    + "@"
                    + host
                    + " (its password is set by the first rotation)");
          }
        }
        for (String host : hosts) {
          TreeSet<String> mine = grants(user, host);
          // The user's own grants go to the role, and to the second user so that neither loses
          // anything in sessions opened before the role was its default.
          for (String line : mine) {
            Matcher m = GRANT.matcher(line);
            if (!m.matches() || m.group(1).startsWith("USAGE") || m.group(1).equals("PROXY")) {
              continue;
            }
            String option = m.group(3) == null ? "" : m.group(3);
            String privileges = m.group(1) + " ON " + m.group(2);
            if (!grants(alt, host).contains(line)) {
              run("GRANT " + privileges + " TO ?@?" + option, alt, host);
              done.add("granted " + privileges + " to " + alt + "@" + host);
            }
            s.execute("GRANT " + privileges + " TO " + ident(ownerRole) + option);
          }
          for (String line : mine) {
            Matcher m = ROLE_GRANT.matcher(line);
            if (m.matches() && !grants(alt, host).contains(line)) {
              run("GRANT " + m.group(1) + " TO ?@?", alt, host);
              done.add("granted role " + m.group(1).replace("`", "") + " to " + alt + "@" + host);
            }
          }
          for (String u : List.of(user, alt)) {
            if (!grants(u, host).contains("GRANT " + ident(ownerRole) + " TO USER")) {
              run("GRANT " + ident(ownerRole) + " TO ?@?", u, host);
              run("SET DEFAULT ROLE " + ident(ownerRole) + " FOR ?@?", u, host);
              done.add("granted " + ownerRole + " to " + u + "@" + host + ", as its default role");
            }
          }
        }
      } catch (SQLException e) {
        throw failed("set up " + alt + " and " + ownerRole, e);
      }
      return done;
    }

    private KeyturnException.TargetFailure failed(String what, SQLException e) {
      return MariaDbTarget.this.failed(admin, what, e);
    }

    @Override
    public void close() {
      try {
        connection.close();
      } catch (SQLException e) {
        // closing a session that failed; nothing to do
      }
    }
  }
}
