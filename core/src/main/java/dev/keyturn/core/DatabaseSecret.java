package dev.keyturn.core;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The value of a database secret: a JSON object {@code {engine, host, port, dbname, username,
 * password}} plus any extra fields (kept as they are, e.g. {@code sslmode}). {@code engine} is
 * {@code postgresql}, {@code mariadb} or {@code redis}, or an alias ({@code postgres}, {@code
 * mysql}); {@code dbname} is optional for Redis. Renders to a connection URL (percent-encoded) or a
 * JDBC URL. Not a record: the password must not appear in {@code toString} or {@code equals}.
 *
 * <p>A domain value: targets and the CLI read it from a stored value; its JSON is read and written
 * with core's own small {@link Json}, so core keeps to the JDK.
 */
public final class DatabaseSecret {
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:\\[\\]-]{1,253}");

  private final String engine;
  private final String host;
  private final int port;
  private final String dbname;
  private final String username;
  private final String password;
  private final Map<String, Object> extra;

  private DatabaseSecret(
      String engine,
      String host,
      int port,
      String dbname,
      String username,
      String password,
      Map<String, Object> extra) {
    this.engine = engine;
    this.host = host;
    this.port = port;
    this.dbname = dbname;
    this.username = username;
    this.password = password;
    this.extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra));
  }

  /** A value that is not a database secret; the message never quotes the value. */
  public static final class Invalid extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message);
    }
  }

  /** The canonical engine name of {@code name}, or empty when it is not a database engine. */
  public static java.util.Optional<String> canonicalEngine(String name) {
    return switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
      case "postgresql", "postgres" -> java.util.Optional.of("postgresql");
      case "mariadb", "mysql" -> java.util.Optional.of("mariadb");
      case "redis" -> java.util.Optional.of("redis");
      default -> java.util.Optional.empty();
    };
  }

  /** Parses a stored value (UTF-8 JSON). */
  public static DatabaseSecret parse(byte[] json) {
    Object parsed;
    try {
      parsed = Json.parse(json);
    } catch (IllegalArgumentException e) {
      throw new Invalid("a database secret is a JSON object; this value is not JSON");
    }
    if (!(parsed instanceof Map<?, ?> map)) {
      throw new Invalid("a database secret is a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> node = (Map<String, Object>) map;
    String engine =
        canonicalEngine(text(node, "engine", true))
            .orElseThrow(() -> new Invalid("engine must be postgresql, mariadb or redis"));
    String host = text(node, "host", true);
    if (!HOST.matcher(host).matches()) {
      throw new Invalid("host must be a host name or an IP address");
    }
    if (!(node.get("port") instanceof Json.Number portNumber)) {
      throw new Invalid("port must be a number");
    }
    int port = portNumber.intValue().orElse(-1);
    if (port < 1 || port > 65535) {
      throw new Invalid("port must be between 1 and 65535");
    }
    String dbname = text(node, "dbname", !engine.equals("redis"));
    String username = text(node, "username", true);
    String password = text(node, "password", false);
    if (!node.containsKey("password")) {
      throw new Invalid("a database secret needs 'password'");
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    for (Map.Entry<String, Object> field : node.entrySet()) {
      switch (field.getKey()) {
        case "engine", "host", "port", "dbname", "username", "password" -> {}
        default -> extra.put(field.getKey(), field.getValue());
      }
    }
    return new DatabaseSecret(engine, host, port, dbname, username, password, extra);
  }

  private static String text(Map<String, Object> node, String field, boolean required) {
    Object value = node.get(field);
    if (value == null || value == Json.NULL) {
      if (required) {
        throw new Invalid("a database secret needs '" + field + "'");
      }
      return "";
    }
    if (!(value instanceof String text)) {
      throw new Invalid("'" + field + "' must be a string");
    }
    if (required && text.isEmpty()) {
      throw new Invalid("'" + field + "' must not be empty");
    }
    return text;
  }

  public String engine() {
    return engine;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String dbname() {
    return dbname;
  }

  public String username() {
    return username;
  }

  public String password() {
    return password;
  }

  /** An extra field as text, if present. */
  public java.util.Optional<String> extra(String field) {
    Object value = extra.get(field);
    return value == null || value == Json.NULL
        ? java.util.Optional.empty()
        : java.util.Optional.of(value instanceof String s ? s : Json.write(value));
  }

  /** The same secret with another user and password (every other field kept). */
  public DatabaseSecret with(String newUsername, String newPassword) {
    return new DatabaseSecret(
        engine,
        host,
        port,
        dbname,
        Objects.requireNonNull(newUsername, "newUsername"),
        Objects.requireNonNull(newPassword, "newPassword"),
        extra);
  }

  /**
   * The same secret at another host, port and database (user, password and extra fields kept): how
   * a rotation target points a value at the place its rule pins.
   */
  public DatabaseSecret at(String newHost, int newPort, String newDbname) {
    return new DatabaseSecret(
        engine,
        Objects.requireNonNull(newHost, "newHost"),
        newPort,
        Objects.requireNonNull(newDbname, "newDbname"),
        username,
        password,
        extra);
  }

  /** The stored form: a JSON object, fields in a stable order, UTF-8. */
  public byte[] toJson() {
    Map<String, Object> node = new LinkedHashMap<>();
    node.put("engine", engine);
    node.put("host", host);
    node.put("port", new Json.Number(Integer.toString(port)));
    if (!dbname.isEmpty() || !engine.equals("redis")) {
      node.put("dbname", dbname);
    }
    node.put("username", username);
    node.put("password", password);
    node.putAll(extra);
    return Json.write(node).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The connection URL, user and password percent-encoded: {@code
   * postgresql://user:pass@host:5432/db}, {@code mariadb://...}, {@code
   * redis://user:pass@host:6379} (with {@code /N} when {@code dbname} is a Redis database number).
   */
  public String url() {
    String scheme = engine.equals("mariadb") ? "mysql" : engine;
    return scheme
        + "://"
        + encode(username)
        + ":"
        + encode(password)
        + "@"
        + hostPort()
        + (dbname.isEmpty() ? "" : "/" + encode(dbname));
  }

  /**
   * The JDBC URL, credentials as query parameters (how JDBC drivers take them): {@code
   * jdbc:postgresql://host:5432/db?user=...&password=...}. Redis has no JDBC form.
   */
  public String jdbcUrl() {
    if (engine.equals("redis")) {
      throw new Invalid("a Redis secret has no JDBC URL; use --format url");
    }
    return "jdbc:"
        + engine
        + "://"
        + hostPort()
        + "/"
        + encode(dbname)
        + "?user="
        + encode(username)
        + "&password="
        + encode(password);
  }

  private String hostPort() {
    boolean ipv6 = host.indexOf(':') >= 0 && !host.startsWith("[");
    return (ipv6 ? "[" + host + "]" : host) + ":" + port;
  }

  /** RFC 3986 percent-encoding: everything but unreserved characters. */
  static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8)
        .replace("+", "%20")
        .replace("*", "%2A")
        .replace("%7E", "~");
  }

  @Override
  public String toString() {
    return engine + "://" + username + "@" + hostPort() + "/" + dbname + " [password redacted]";
  }
}
