package dev.keyturn.targets;

import dev.keyturn.api.DatabaseSecret;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
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
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What the SQL database targets share: the secret is a {@link DatabaseSecret}, the admin credential
 * is another one named by the rule's {@code admin} setting, and a rotation is single-user (one
 * login, its password changed in place) or alternating users (two logins; each rotation changes the
 * password of the one not in use and flips {@code username}).
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

  /** The canonical engine name this target serves: {@code postgresql}, {@code mariadb}. */
  abstract String engine();

  /** A JDBC connection as {@code secret}'s user to {@code dbname} ({@code ""}: none). */
  abstract Connection connect(DatabaseSecret secret, String dbname, int timeoutSeconds)
      throws SQLException;

  /** Whether the server refused the login's password (not: could not be reached). */
  abstract boolean refused(SQLException e);

  /** The error's code as an operator reads it ({@code SQLState 42501: ...}); never a value. */
  abstract String code(SQLException e);

  /** The database the admin session opens for {@code app}. */
  abstract String adminDatabase(DatabaseSecret app);

  /** Wraps an open admin connection in this engine's session. */
  abstract Session session(
      DatabaseSecret admin,
      Connection connection,
      Map<String, String> settings,
      int timeoutSeconds);

  /** Whether {@code secret} logs in and runs {@code SELECT 1}; false only when refused. */
  final boolean logsIn(DatabaseSecret secret, int timeoutSeconds) {
    try (Connection c = connect(secret, secret.dbname(), timeoutSeconds);
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT 1")) {
      return r.next() && r.getInt(1) == 1;
    } catch (SQLException e) {
      if (refused(e)) {
        return false;
      }
      throw new KeyturnException.TargetFailure(
          "cannot use " + where(secret) + " as " + secret.username() + " (" + code(e) + ")");
    }
  }

  /** A failure of {@code what} in an admin session, with the server's error code. */
  final KeyturnException.TargetFailure failed(DatabaseSecret admin, String what, SQLException e) {
    return new KeyturnException.TargetFailure(
        "cannot " + what + " on " + where(admin) + " (" + code(e) + ")");
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

  @Override
  public RotationRule prepare(RotationRule rule, SecretValue current) {
    DatabaseSecret value = parse(current);
    if (!value.engine().equals(engine())) {
      throw new KeyturnException.InvalidInput(
          rule.secret()
              + " holds a "
              + value.engine()
              + " credential, not a "
              + engine()
              + " one (its engine field)");
    }
    if (rule.strategy() != Strategy.SINGLE_USER && rule.strategy() != Strategy.ALTERNATING_USERS) {
      throw new KeyturnException.InvalidInput(
          "target "
              + rule.targetType()
              + " rotates with --strategy single-user or alternating-users");
    }
    adminName(rule);
    Map<String, String> settings = new LinkedHashMap<>(rule.target());
    if (rule.strategy() == Strategy.ALTERNATING_USERS) {
      String user = settings.computeIfAbsent("username", k -> value.username());
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
      users(settings, value.username());
    }
    timeout(settings);
    return rule.withTarget(settings);
  }

  @Override
  public Plaintext nextValue(
      RotationRule rule, SecretValue current, Plaintext generated, boolean emergency) {
    DatabaseSecret value = parse(current);
    String password = generated.revealUtf8();
    String user =
        rule.strategy() == Strategy.ALTERNATING_USERS
            ? other(rule.target(), value.username())
            : value.username();
    return Plaintext.wrap(value.with(user, password).toJson());
  }

  @Override
  public void set(TargetContext context) {
    DatabaseSecret pending = parse(context.pending());
    DatabaseSecret current = current(context);
    int timeout = timeout(context.rule().target());
    boolean alternating = context.rule().strategy() == Strategy.ALTERNATING_USERS;
    boolean pendingWorks = logsIn(pending, timeout);
    if (!pendingWorks && !logsIn(current, timeout)) {
      throw changedOutside(current);
    }
    try (Session admin = admin(context.rule(), context.secrets(), pending, timeout)) {
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
    DatabaseSecret pending = parse(context.pending());
    int timeout = timeout(context.rule().target());
    if (!logsIn(pending, timeout)) {
      throw doesNotLogIn(pending);
    }
    if (context.rule().strategy() == Strategy.ALTERNATING_USERS) {
      if (context.rotation().emergency()) {
        DatabaseSecret current = current(context);
        if (logsIn(current, timeout)) {
          throw new KeyturnException.TargetFailure(
              "emergency: the old password of " + current.username() + " still logs in");
        }
      }
      try (Session admin = admin(context.rule(), context.secrets(), pending, timeout)) {
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
    DatabaseSecret pending = parse(context.pending());
    DatabaseSecret current = current(context);
    int timeout = timeout(context.rule().target());
    // Only a password this rotation changed is put back: the pending one works, the current not.
    if (logsIn(current, timeout) || !logsIn(pending, timeout)) {
      return;
    }
    try (Session admin = admin(context.rule(), context.secrets(), pending, timeout)) {
      admin.changePassword(current.username(), current.password());
    }
  }

  @Override
  public List<String> setup(RevokeContext context) {
    RotationRule rule = context.rule();
    DatabaseSecret current = parse(context.live().get(0));
    int timeout = timeout(rule.target());
    List<String> done = new ArrayList<>();
    if (logsIn(current.with(current.username(), throwaway()), timeout)) {
      throw new KeyturnException.Conflict(
          where(current)
              + " accepted a wrong password for "
              + current.username()
              + " (trust or peer authentication?): logins prove nothing there. Require"
              + " password authentication for this user first");
    }
    done.add("checked: " + where(current) + " refuses a wrong password for " + current.username());
    if (!logsIn(current, timeout)) {
      throw new KeyturnException.Conflict(
          "the current password of "
              + current.username()
              + " does not log in to "
              + where(current)
              + "; store the working credential with keyturn put first");
    }
    done.add("checked: the current password of " + current.username() + " logs in");
    if (rule.strategy() != Strategy.ALTERNATING_USERS) {
      return done;
    }
    Map<String, String> settings = rule.target();
    try (Session admin = admin(rule, context.secrets(), current, timeout)) {
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
              + " have the same roles, grants and settings");
    }
    return done;
  }

  private Session admin(
      RotationRule rule,
      Function<SecretName, SecretValue> secrets,
      DatabaseSecret app,
      int timeout) {
    DatabaseSecret admin = adminCredential(rule, secrets, engine());
    try {
      return session(admin, connect(admin, adminDatabase(app), timeout), rule.target(), timeout);
    } catch (SQLException e) {
      if (refused(e)) {
        throw new KeyturnException.TargetFailure(
            "the admin credential does not log in to " + where(admin));
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
    users(settings, user);
    return user.equals(settings.get("username"))
        ? settings.get("alt-username")
        : settings.get("username");
  }

  private static void users(Map<String, String> settings, String user) {
    if (!user.equals(settings.get("username")) && !user.equals(settings.get("alt-username"))) {
      throw new KeyturnException.InvalidInput(
          "the secret's username is neither "
              + settings.get("username")
              + " nor "
              + settings.get("alt-username")
              + " (the rule's username and alt-username)");
    }
  }

  /** The test step's failure: the pending credential is refused. */
  static KeyturnException.TargetFailure doesNotLogIn(DatabaseSecret pending) {
    return new KeyturnException.TargetFailure(
        "the new password of " + pending.username() + " does not log in to " + where(pending));
  }

  static DatabaseSecret current(TargetContext context) {
    return parse(
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
            + " credential with keyturn put, then rotate again");
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
