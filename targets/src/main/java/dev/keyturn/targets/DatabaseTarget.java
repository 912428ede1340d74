package dev.keyturn.targets;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.SettingChecks;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What the SQL database targets share: the secret is a {@link DatabaseSecret}, the admin credential
 * is another one named by the rule's {@code admin} setting, and a rotation is single-user (one
 * login, its password changed in place) or alternating users (two logins; each rotation changes the
 * password of the one not in use and flips {@code username}).
 *
 * <p>Who decides: the rule pins the database identity ({@link Endpoint}: host, port, database, TLS;
 * and the user, or the alternating pair) when an admin sets it. Every login, test and password
 * change, the admin's included, goes to the pinned place as a pinned user; the stored value
 * contributes only its password (and which user of the pair is in use), and the value a rotation
 * makes carries the pinned identity. A plain {@code put} may change neither the identity nor the
 * password ({@link #checkWrite}).
 *
 * <p>Crash safety: {@code set} first tries to log in with the pending value; if that works the
 * password was already changed (it is set once more, harmlessly, in case a crash came between two
 * accounts). If neither the pending nor the current value logs in, the password was changed outside
 * Keyturn and the rotation stops with a clear error, never making a third password. Engines supply
 * logins, password changes, the parity check and the setup.
 */
abstract class DatabaseTarget implements Target {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
  private final SecureRandom random = new SecureRandom();

  /** The operator's declarations: the CA files {@code tls-ca} may name. */
  final dev.keyturn.core.HostPolicy host;

  /** The {@code reencrypt} strategy's steps, for rules that name it. */
  private final Reencryption reencryption = new Reencryption(this);

  DatabaseTarget(dev.keyturn.core.HostPolicy host) {
    this.host = java.util.Objects.requireNonNull(host, "host");
  }

  /** The table a {@code reencrypt} rule names, on {@code connection}, in this engine's SQL. */
  abstract SweepTable sweepTable(
      Connection connection, String table, String idColumn, String column);

  private static boolean reencrypts(RotationRule rule) {
    return rule.strategy() == Strategy.REENCRYPT;
  }

  /** The canonical engine name this target serves: {@code postgresql}, {@code mariadb}. */
  abstract String engine();

  /**
   * A JDBC connection to {@code where} as {@code login}'s user to {@code dbname} ({@code ""}:
   * none), built from connection properties (never a URL string holding a value), refusing
   * clear-text password authentication, its socket connected only where {@code where.outbound()}
   * allows ({@link dev.keyturn.targets.internal.DriverSockets}).
   *
   * @throws KeyturnException.Forbidden if the outbound policy refuses the address (nothing sent)
   */
  abstract Connection connect(
      Endpoint where, DatabaseSecret login, String dbname, int timeoutSeconds) throws SQLException;

  /** Whether the server refused the login's password (not: could not be reached). */
  abstract boolean refused(SQLException e);

  /**
   * Whether the driver refused the authentication method the server asked for (no password asked
   * for at all, or one that would send it in the clear): nothing was sent, and retrying cannot
   * help.
   */
  abstract boolean methodRefused(SQLException e);

  /** The error's code as an operator reads it ({@code SQLState 42501: ...}); never a value. */
  abstract String code(SQLException e);

  /** The database the admin session opens at {@code where}. */
  abstract String adminDatabase(Endpoint where);

  /** Wraps an open admin connection in this engine's session. */
  abstract Session session(
      Endpoint where,
      DatabaseSecret admin,
      Connection connection,
      Map<String, String> settings,
      int timeoutSeconds);

  /**
   * Whether {@code secret} logs in at {@code where} and runs {@code SELECT 1}; false only when
   * refused.
   */
  final boolean logsIn(Endpoint where, DatabaseSecret secret, int timeoutSeconds) {
    try (Connection c = connect(where, secret, where.dbname(), timeoutSeconds);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT 1")) {
      return r.next() && r.getInt(1) == 1;
    } catch (SQLException e) {
      if (refused(e)) {
        return false;
      }
      if (methodRefused(e)) {
        throw methodRefused(secret);
      }
      if (NetworkFailure.of(e).isPresent()) {
        throw new KeyturnException.TargetFailure(NetworkFailure.describe(where(secret), e));
      }
      throw new KeyturnException.TargetFailure(
          "cannot use " + where(secret) + " as " + secret.username() + " (" + code(e) + ")");
    }
  }

  /**
   * What an engine's {@link #connect} throws for a failed connection: the outbound policy's refusal
   * when the driver's socket was refused (unchecked, so no caller reports it as a database error),
   * else {@code e}.
   */
  static SQLException refusalOr(SQLException e) {
    if (Outbound.isRefusal(e)) {
      throw Outbound.refused();
    }
    return e;
  }

  /** The refusal of a server that asks for no password or for one in the clear. */
  static KeyturnException.Conflict methodRefused(DatabaseSecret login) {
    return new KeyturnException.Conflict(
        where(login)
            + " did not ask "
            + login.username()
            + " for a password Keyturn sends (trust or peer authentication, or a clear-text"
            + " password?): nothing was sent. Require SCRAM-SHA-256 (PostgreSQL) or a hashed"
            + " password plugin (MariaDB) for this user");
  }

  /**
   * A failure of {@code what} in an admin session, with the server's error code, or in plain words
   * when the connection failed ({@link NetworkFailure}).
   */
  final KeyturnException.TargetFailure failed(DatabaseSecret admin, String what, SQLException e) {
    return new KeyturnException.TargetFailure(
        "cannot "
            + what
            + " on "
            + where(admin)
            + " ("
            + NetworkFailure.of(e).orElseGet(() -> code(e))
            + ")");
  }

  /** An open administrative connection; closing it ends the session. */
  interface Session extends AutoCloseable {
    /** Sets {@code user}'s password so that only a verifier or hash reaches the server. */
    void changePassword(String user, String password);

    /** The ways {@code user} and {@code alt} differ in what they may do; empty when equal. */
    List<String> differences(String user, String alt, String ownerRole);

    /** Creates what alternating users need and makes the users equal; returns what it did. */
    List<String> setup(String user, String alt, String ownerRole, String password);

    @Override
    void close();
  }

  /** The rule settings this target reads: its own and the pinned {@link Endpoint}. */
  List<String> settingNames() {
    List<String> names =
        new ArrayList<>(
            List.of("admin", "username", "alt-username", "owner-role", "timeout-seconds"));
    names.addAll(Endpoint.PINNED);
    return names;
  }

  @Override
  public void validate(RotationRule rule, Function<SecretName, SecretValue> secrets) {
    if (reencrypts(rule)) {
      reencryption.validate(rule, secrets);
      return;
    }
    requireEngine(rule, parse(secrets.apply(rule.secret())), engine());
    if (rule.strategy() != Strategy.SINGLE_USER && rule.strategy() != Strategy.ALTERNATING_USERS) {
      throw new KeyturnException.InvalidInput(
          "target "
              + rule.targetType()
              + " rotates with --strategy single-user, alternating-users or reencrypt");
    }
    requireTextPassword(rule);
    SettingChecks.target(rule)
        .only(settingNames().toArray(String[]::new))
        .secretName("admin")
        .integer("timeout-seconds", 1, 300);
    for (String key : List.of("username", "alt-username", "owner-role")) {
      String value = rule.target().get(key);
      if (rule.strategy() == Strategy.ALTERNATING_USERS
          && value != null
          && !NAME.matcher(value).matches()) {
        throw new KeyturnException.InvalidInput(
            key + " must be letters, digits and _ (at most 63), starting with a letter or _");
      }
    }
    adminCredential(rule, secrets, engine());
  }

  /** A database password is text: key generators (PEM) are refused. */
  static void requireTextPassword(RotationRule rule) {
    switch (rule.generator().kind()) {
      case RSA, EC, ED25519 ->
          throw new KeyturnException.InvalidInput(
              "target "
                  + rule.targetType()
                  + " sets a password: use a text generator such as password:32 or"
                  + " base64url:24, not "
                  + rule.generator().kind().name().toLowerCase(java.util.Locale.ROOT));
      default -> {}
    }
  }

  /** Refuses a rule for a secret that holds another engine's credential. */
  static void requireEngine(RotationRule rule, DatabaseSecret value, String engine) {
    if (!value.engine().equals(engine)) {
      throw new KeyturnException.InvalidInput(
          rule.secret()
              + " holds a "
              + value.engine()
              + " credential, not a "
              + engine
              + " one (its engine field)");
    }
  }

  /** The pinned host (see {@link Endpoint#pin}). */
  @Override
  public java.util.Map<String, String> destinations(RotationRule rule) {
    String host = rule.target().get(Endpoint.HOST);
    return host == null ? java.util.Map.of() : java.util.Map.of(Endpoint.HOST, host);
  }

  @Override
  public RotationRule prepare(
      RotationRule rule,
      SecretValue current,
      java.util.function.Function<dev.keyturn.core.SecretName, SecretValue> secrets) {
    if (reencrypts(rule)) {
      return reencryption.pin(reencryption.prepare(rule, current), secrets);
    }
    return prepare(rule, current);
  }

  @Override
  public RotationRule prepare(RotationRule rule, SecretValue current) {
    if (reencrypts(rule)) {
      return reencryption.prepare(rule, current);
    }
    DatabaseSecret value = parse(current);
    requireEngine(rule, value, engine());
    if (rule.strategy() != Strategy.SINGLE_USER && rule.strategy() != Strategy.ALTERNATING_USERS) {
      throw new KeyturnException.InvalidInput(
          "target "
              + rule.targetType()
              + " rotates with --strategy single-user or alternating-users");
    }
    adminName(rule);
    Map<String, String> settings = Endpoint.pin(new LinkedHashMap<>(rule.target()), value, host);
    if (settings.get(Endpoint.DBNAME).isEmpty()) {
      throw new KeyturnException.InvalidInput("target " + rule.targetType() + " needs a dbname");
    }
    String user = settings.computeIfAbsent("username", k -> value.username());
    if (rule.strategy() == Strategy.ALTERNATING_USERS) {
      settings.computeIfAbsent("alt-username", k -> user + "_b");
      settings.computeIfAbsent("owner-role", k -> user + "_owner");
      for (String key : List.of("username", "alt-username", "owner-role")) {
        if (!NAME.matcher(settings.get(key)).matches()) {
          throw new KeyturnException.InvalidInput(
              key + " must be letters, digits and _ (at most 63), starting with a letter or _");
        }
      }
      if (settings.get("username").equals(settings.get("alt-username"))) {
        throw new KeyturnException.InvalidInput("alt-username must differ from username");
      }
    } else if (user.isEmpty() || user.length() > 128 || user.chars().anyMatch(c -> c < 0x20)) {
      throw new KeyturnException.InvalidInput(
          "username must be 1 to 128 characters without control characters");
    }
    users(rule.strategy(), settings, value.username());
    timeout(settings);
    return rule.withTarget(settings);
  }

  @Override
  public void checkWrite(RotationRule rule, Optional<SecretValue> current, Plaintext value) {
    if (reencrypts(rule)) {
      reencryption.checkWrite(rule, current, value);
      return;
    }
    checkWrite(rule, current, value, engine());
  }

  /**
   * The write check every database target shares: a value that changes what the rule pins is
   * forbidden, and so is a new password (it would skip {@code set} and {@code test}).
   */
  static void checkWrite(
      RotationRule rule, Optional<SecretValue> current, Plaintext value, String engine) {
    DatabaseSecret next;
    try {
      next = DatabaseSecret.parse(value.reveal());
    } catch (DatabaseSecret.Invalid e) {
      throw new KeyturnException.InvalidInput(
          rule.secret()
              + " is rotated by its rule (target "
              + rule.targetType()
              + "): "
              + e.getMessage());
    }
    List<String> changed = new ArrayList<>();
    if (!next.engine().equals(engine)) {
      changed.add("engine");
    }
    changed.addAll(Endpoint.of(rule).differences(next));
    Map<String, String> s = rule.target();
    boolean alternating = rule.strategy() == Strategy.ALTERNATING_USERS;
    if (s.containsKey("username")
        && !next.username().equals(s.get("username"))
        && !(alternating && next.username().equals(s.get("alt-username")))) {
      changed.add("username");
    }
    if (!changed.isEmpty()) {
      throw new KeyturnException.Forbidden(
          rule.secret()
              + ": "
              + String.join(", ", changed)
              + (changed.size() == 1 ? " is" : " are")
              + " pinned by its rotation rule (target "
              + rule.targetType()
              + "); an admin changes "
              + (changed.size() == 1 ? "it" : "them")
              + " with keyturn rotation set");
    }
    if (current.isPresent()) {
      DatabaseSecret now = parse(current.get());
      boolean samePassword =
          MessageDigest.isEqual(
              now.password().getBytes(StandardCharsets.UTF_8),
              next.password().getBytes(StandardCharsets.UTF_8));
      if (!samePassword || !now.username().equals(next.username())) {
        throw new KeyturnException.InvalidInput(
            rule.secret()
                + " is rotated by its rule (target "
                + rule.targetType()
                + "): a new password must be set on the database too, so rotate it: keyturn"
                + " rotate "
                + rule.secret());
      }
    }
  }

  @Override
  public Plaintext nextValue(
      RotationRule rule, SecretValue current, Plaintext generated, boolean emergency) {
    if (reencrypts(rule)) {
      return Plaintext.wrap(generated.reveal());
    }
    DatabaseSecret value = pinned(rule, current);
    String password = generated.revealUtf8();
    String user =
        rule.strategy() == Strategy.ALTERNATING_USERS
            ? other(rule.target(), value.username())
            : value.username();
    return Plaintext.wrap(value.with(user, password).toJson());
  }

  @Override
  public void set(TargetContext context) {
    if (reencrypts(context.rule())) {
      reencryption.set(context);
      return;
    }
    Endpoint where = Endpoint.of(context.rule(), context.outbound(), host);
    DatabaseSecret pending = pinned(context.rule(), context.pending());
    DatabaseSecret current = current(context);
    int timeout = timeout(context.rule().target());
    boolean alternating = context.rule().strategy() == Strategy.ALTERNATING_USERS;
    boolean pendingWorks = logsIn(where, pending, timeout);
    if (!pendingWorks && !logsIn(where, current, timeout)) {
      throw changedOutside(current);
    }
    try (Session admin = admin(where, context.rule(), context.secrets(), timeout)) {
      if (alternating) {
        requireParity(admin, context.rule().target());
      }
      // Again even when the pending password logs in: a crash may have come between two
      // accounts of the user (MariaDB host patterns), and setting the same password is harmless.
      admin.changePassword(pending.username(), pending.password());
      if (alternating && context.rotation().emergency()) {
        // The user in use may be compromised: it stops working now, with a password nobody knows.
        admin.changePassword(current.username(), throwaway());
      }
    }
  }

  @Override
  public void test(TargetContext context) {
    if (reencrypts(context.rule())) {
      reencryption.test(context);
      return;
    }
    Endpoint where = Endpoint.of(context.rule(), context.outbound(), host);
    DatabaseSecret pending = pinned(context.rule(), context.pending());
    int timeout = timeout(context.rule().target());
    if (!logsIn(where, pending, timeout)) {
      throw doesNotLogIn(pending);
    }
    if (context.rule().strategy() == Strategy.ALTERNATING_USERS) {
      if (context.rotation().emergency()) {
        DatabaseSecret current = current(context);
        if (logsIn(where, current, timeout)) {
          throw new KeyturnException.TargetFailure(
              "emergency: the old password of " + current.username() + " still logs in");
        }
      }
      try (Session admin = admin(where, context.rule(), context.secrets(), timeout)) {
        requireParity(admin, context.rule().target());
      }
    }
  }

  @Override
  public boolean canTell(TargetContext context) {
    // A login tells that one account has the password, not that every account (MariaDB host
    // patterns) or both users (an emergency) do; set is idempotent, so a retry sets again.
    return false;
  }

  @Override
  public void rollback(TargetContext context) {
    if (reencrypts(context.rule())) {
      reencryption.rollback(context);
      return;
    }
    Endpoint where = Endpoint.of(context.rule(), context.outbound(), host);
    DatabaseSecret pending = pinned(context.rule(), context.pending());
    DatabaseSecret current = current(context);
    int timeout = timeout(context.rule().target());
    // Only a password this rotation changed is put back: the pending one works, the current not.
    if (logsIn(where, current, timeout) || !logsIn(where, pending, timeout)) {
      return;
    }
    try (Session admin = admin(where, context.rule(), context.secrets(), timeout)) {
      admin.changePassword(current.username(), current.password());
    }
  }

  @Override
  public List<String> setup(RevokeContext context) {
    RotationRule rule = context.rule();
    if (reencrypts(rule)) {
      return reencryption.setup(context);
    }
    Endpoint where = Endpoint.of(rule, context.outbound(), host);
    DatabaseSecret current = pinned(rule, context.live().get(0));
    int timeout = timeout(rule.target());
    List<String> done = new ArrayList<>();
    if (logsIn(where, current.with(current.username(), throwaway()), timeout)) {
      throw new KeyturnException.Conflict(
          where(current)
              + " accepted a wrong password for "
              + current.username()
              + " (trust or peer authentication?): logins prove nothing there. Require"
              + " password authentication for this user first");
    }
    done.add("checked: " + where(current) + " refuses a wrong password for " + current.username());
    if (!logsIn(where, current, timeout)) {
      throw new KeyturnException.Conflict(
          "the current password of "
              + current.username()
              + " does not log in to "
              + where(current)
              + "; store the working credential first (see docs/runbooks/database.md)");
    }
    done.add("checked: the current password of " + current.username() + " logs in");
    if (rule.strategy() != Strategy.ALTERNATING_USERS) {
      return done;
    }
    Map<String, String> settings = rule.target();
    try (Session admin = admin(where, rule, context.secrets(), timeout)) {
      done.addAll(
          admin.setup(
              settings.get("username"),
              settings.get("alt-username"),
              settings.get("owner-role"),
              throwaway()));
      requireParity(admin, settings);
      done.add(
          "checked: "
              + settings.get("username")
              + " and "
              + settings.get("alt-username")
              + " have the same roles, grants, ownership and settings");
    }
    return done;
  }

  /** An admin session at the rule's pinned place {@code where}, as its admin credential's user. */
  private Session admin(
      Endpoint where, RotationRule rule, Function<SecretName, SecretValue> secrets, int timeout) {
    DatabaseSecret admin = where.apply(adminCredential(rule, secrets, engine()));
    try {
      return session(
          where,
          admin,
          connect(where, admin, adminDatabase(where), timeout),
          rule.target(),
          timeout);
    } catch (SQLException e) {
      if (refused(e)) {
        throw KeyturnException.TargetFailure.permanent(
            "the admin credential does not log in to " + where(admin));
      }
      if (methodRefused(e)) {
        throw methodRefused(admin);
      }
      throw failed(admin, "log in as the admin", e);
    }
  }

  /** The rule's admin credential: a database secret of the target's engine. */
  static DatabaseSecret adminCredential(
      RotationRule rule, Function<SecretName, SecretValue> secrets, String engine) {
    SecretName name = SecretName.of(adminName(rule));
    DatabaseSecret admin;
    try {
      admin = parse(secrets.apply(name));
    } catch (KeyturnException.NotFound e) {
      throw new KeyturnException.InvalidInput(
          "the admin credential " + name + " has no current version");
    }
    if (!admin.engine().equals(engine)) {
      throw new KeyturnException.InvalidInput(
          "the admin credential " + name + " is a " + admin.engine() + " credential");
    }
    return admin;
  }

  private void requireParity(Session admin, Map<String, String> settings) {
    List<String> differences =
        admin.differences(
            settings.get("username"), settings.get("alt-username"), settings.get("owner-role"));
    if (!differences.isEmpty()) {
      throw new KeyturnException.Conflict(
          settings.get("username")
              + " and "
              + settings.get("alt-username")
              + " differ ("
              + String.join("; ", differences)
              + "); give grants to "
              + settings.get("owner-role")
              + " instead, or run keyturn target setup again");
    }
  }

  /** The other alternating user. */
  private static String other(Map<String, String> settings, String user) {
    return user.equals(settings.get("username"))
        ? settings.get("alt-username")
        : settings.get("username");
  }

  /** Checks that {@code user} is the rule's user (one of its pair, alternating users). */
  private static void users(Strategy strategy, Map<String, String> settings, String user) {
    if (strategy != Strategy.ALTERNATING_USERS) {
      if (!user.equals(settings.get("username"))) {
        throw new KeyturnException.InvalidInput(
            "the secret's username is not "
                + settings.get("username")
                + " (the user the rule pins); an admin changes it with keyturn rotation set");
      }
      return;
    }
    if (!user.equals(settings.get("username")) && !user.equals(settings.get("alt-username"))) {
      throw new KeyturnException.InvalidInput(
          "the secret's username is neither "
              + settings.get("username")
              + " nor "
              + settings.get("alt-username")
              + " (the rule's username and alt-username)");
    }
  }

  /**
   * {@code value} at the place the rule pins, after checking that its user is the rule's (one of
   * the pair, alternating users).
   */
  static DatabaseSecret pinned(RotationRule rule, SecretValue value) {
    Endpoint where = Endpoint.of(rule);
    DatabaseSecret secret = parse(value);
    users(rule.strategy(), rule.target(), secret.username());
    return where.apply(secret);
  }

  /**
   * The test step's failure: the pending credential is refused. Not retried: the server answered,
   * and asking again with the same password cannot change its answer.
   */
  static KeyturnException.TargetFailure doesNotLogIn(DatabaseSecret pending) {
    return KeyturnException.TargetFailure.permanent(
        "the new password of " + pending.username() + " does not log in to " + where(pending));
  }

  /** The current value, at the place the rule pins. */
  static DatabaseSecret current(TargetContext context) {
    return pinned(
        context.rule(),
        context
            .current()
            .orElseThrow(
                () -> new KeyturnException.InvalidInput("the secret has no current credential")));
  }

  static DatabaseSecret parse(SecretValue value) {
    try {
      return DatabaseSecret.parse(value.plaintext().reveal());
    } catch (DatabaseSecret.Invalid e) {
      throw new KeyturnException.InvalidInput(
          value.name() + "#" + value.version().number() + ": " + e.getMessage());
    }
  }

  /** The loud failure when neither the pending nor the current password logs in. */
  static KeyturnException.Conflict changedOutside(DatabaseSecret current) {
    return new KeyturnException.Conflict(
        "neither the pending nor the current password of "
            + current.username()
            + " logs in to "
            + where(current)
            + ": it was changed outside Keyturn. Nothing was changed; store the working"
            + " credential (see docs/runbooks/database.md), then rotate again");
  }

  static String where(DatabaseSecret secret) {
    return secret.engine() + " at " + secret.host() + ":" + secret.port();
  }

  static int timeout(Map<String, String> settings) {
    String text = settings.getOrDefault("timeout-seconds", "10");
    try {
      int seconds = Integer.parseInt(text);
      if (seconds >= 1 && seconds <= 300) {
        return seconds;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new KeyturnException.InvalidInput("timeout-seconds must be a number from 1 to 300");
  }

  /** The rule's {@code admin} setting, or a clear error naming the flag. */
  static String adminName(RotationRule rule) {
    String value = rule.target().get("admin");
    if (value == null || value.isBlank()) {
      throw new KeyturnException.InvalidInput(
          "target " + rule.targetType() + " needs 'admin' (--admin NAME)");
    }
    return SecretName.of(value).value();
  }

  /** A password nobody is told: 256 random bits. */
  private String throwaway() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
