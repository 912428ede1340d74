package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * One version of a database secret, {@code {engine, host, port, dbname, username, password}}, as
 * {@link RotatingDataSource} connects with it: a JDBC URL that holds no credential, and the user
 * and password passed beside it. Not a record: the password is in no {@code toString}, {@code
 * equals} or message. Immutable.
 */
final class DatabaseLogin {
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:\\[\\]-]{1,253}");
  private static final Pattern DBNAME = Pattern.compile("[A-Za-z0-9_.$-]{1,64}");
  private static final Set<String> SSL_MODES =
      Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

  private final String secret;
  private final int version;
  private final String engine;
  private final String host;
  private final int port;
  private final String dbname;
  private final String username;
  private final String password;
  private final Optional<String> sslmode;

  private DatabaseLogin(
      String secret,
      int version,
      String engine,
      String host,
      int port,
      String dbname,
      String username,
      String password,
      Optional<String> sslmode) {
    this.secret = secret;
    this.version = version;
    this.engine = engine;
    this.host = host;
    this.port = port;
    this.dbname = dbname;
    this.username = username;
    this.password = password;
    this.sslmode = sslmode;
  }

  /**
   * Reads version {@code version} of {@code secret}.
   *
   * @throws IllegalArgumentException naming the field that is missing or malformed (never a value)
   */
  static DatabaseLogin parse(String secret, int version, JsonNode value) {
    requireNonNull(secret, "secret");
    String where = secret + "#" + version;
    if (value == null || !value.isObject()) {
      throw new IllegalArgumentException(
          where + " is not a database secret: its value is not a JSON object");
    }
    String engine = text(where, value, "engine");
    String canonical =
        switch (engine.toLowerCase(Locale.ROOT)) {
          case "postgresql", "postgres" -> "postgresql";
          case "mariadb", "mysql" -> "mariadb";
          default ->
              throw new IllegalArgumentException(
                  where + ": 'engine' must be postgresql or mariadb for a DataSource");
        };
    String host = text(where, value, "host");
    if (!HOST.matcher(host).matches()) {
      throw new IllegalArgumentException(where + ": 'host' is not a host name or an IP address");
    }
    JsonNode portNode = value.get("port");
    if (portNode == null || portNode.isNull()) {
      throw missing(where, "port");
    }
    if (!portNode.isIntegralNumber() || portNode.asInt() < 1 || portNode.asInt() > 65535) {
      throw new IllegalArgumentException(where + ": 'port' must be a number from 1 to 65535");
    }
    String dbname = text(where, value, "dbname");
    if (!DBNAME.matcher(dbname).matches()) {
      throw new IllegalArgumentException(
          where + ": 'dbname' must be 1 to 64 of A-Z a-z 0-9 _ . $ -");
    }
    String username = text(where, value, "username");
    JsonNode passwordNode = value.get("password");
    if (passwordNode == null || passwordNode.isNull()) {
      throw missing(where, "password");
    }
    if (!passwordNode.isString()) {
      throw new IllegalArgumentException(where + ": 'password' must be a string");
    }
    Optional<String> sslmode = Optional.empty();
    JsonNode ssl = value.get("sslmode");
    if (ssl != null && !ssl.isNull() && canonical.equals("postgresql")) {
      if (!ssl.isString() || !SSL_MODES.contains(ssl.asString())) {
        throw new IllegalArgumentException(
            where
                + ": 'sslmode' must be one of "
                + String.join(", ", SSL_MODES.stream().sorted().toList()));
      }
      sslmode = Optional.of(ssl.asString());
    }
    return new DatabaseLogin(
        secret,
        version,
        canonical,
        host,
        portNode.asInt(),
        dbname,
        username,
        passwordNode.asString(),
        sslmode);
  }

  private static String text(String where, JsonNode value, String field) {
    JsonNode node = value.get(field);
    if (node == null || node.isNull()) {
      throw missing(where, field);
    }
    if (!node.isString() || node.asString().isEmpty()) {
      throw new IllegalArgumentException(where + ": '" + field + "' must be a non-empty string");
    }
    return node.asString();
  }

  private static IllegalArgumentException missing(String where, String field) {
    return new IllegalArgumentException(
        where + " is not a database secret: it has no '" + field + "'");
  }

  String secret() {
    return secret;
  }

  int version() {
    return version;
  }

  String engine() {
    return engine;
  }

  String username() {
    return username;
  }

  /** The password, for the driver only. */
  String revealPassword() {
    return password;
  }

  Optional<String> sslmode() {
    return sslmode;
  }

  /** {@code jdbc:postgresql://HOST:PORT/DB} or {@code jdbc:mariadb://...}: no credential in it. */
  String jdbcUrl() {
    boolean ipv6 = host.indexOf(':') >= 0 && !host.startsWith("[");
    return "jdbc:"
        + engine
        + "://"
        + (ipv6 ? "[" + host + "]" : host)
        + ":"
        + port
        + "/"
        + URLEncoder.encode(dbname, StandardCharsets.UTF_8);
  }

  /** Names the secret, version, user and place; never the password. */
  @Override
  public String toString() {
    return secret + "#" + version + " (" + username + " at " + jdbcUrl() + ", password [redacted])";
  }
}
