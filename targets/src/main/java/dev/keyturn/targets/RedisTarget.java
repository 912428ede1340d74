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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Target {@code redis}: an ACL user, which may hold several passwords at once, so one user gives a
 * true overlap window. {@code set} adds the new password ({@code ACL SETUSER u #sha256}, only the
 * hash reaches the server); passwords of versions no longer valid are removed when their grace ends
 * (or at finish, single-user). The test is {@code AUTH} and {@code PING}. Every ACL change is
 * persisted on the server ({@code ACL SAVE} when Redis has an ACL file, else {@code CONFIG
 * REWRITE}), so a restart does not bring an old password back; replicas have their own ACLs and
 * need the same change (a rule per replica).
 *
 * <p>Settings: {@code admin} (the secret holding a user allowed {@code ACL SETUSER}, {@code ACL
 * GETUSER}, {@code ACL SAVE} or {@code CONFIG REWRITE}), {@code persist} ({@code auto}, the
 * default: ACL SAVE, else CONFIG REWRITE, else the step fails; {@code acl-save}; {@code
 * config-rewrite}; {@code none}, accepting that a restart restores the old passwords), {@code
 * timeout-seconds} (default 10). Connections are plain TCP: keep Keyturn and Redis on a trusted
 * network (TLS to Redis is not supported yet).
 */
public final class RedisTarget implements Target {
  public static final String TYPE = "redis";
  private static final List<String> PERSIST = List.of("auto", "acl-save", "config-rewrite", "none");
  private final SecureRandom random = new SecureRandom();

  @Override
  public RotationRule prepare(RotationRule rule, SecretValue current) {
    DatabaseSecret value = DatabaseTarget.parse(current);
    if (!value.engine().equals(TYPE)) {
      throw new KeyturnException.InvalidInput(
          rule.secret() + " holds a " + value.engine() + " credential, not a redis one");
    }
    if (rule.strategy() != Strategy.OVERLAP && rule.strategy() != Strategy.SINGLE_USER) {
      throw new KeyturnException.InvalidInput(
          "target redis rotates with --strategy overlap (old password removed when --grace ends)"
              + " or single-user");
    }
    DatabaseTarget.adminName(rule);
    Map<String, String> settings = new LinkedHashMap<>(rule.target());
    String persist = settings.computeIfAbsent("persist", k -> "auto");
    if (!PERSIST.contains(persist)) {
      throw new KeyturnException.InvalidInput("persist is auto, acl-save, config-rewrite or none");
    }
    DatabaseTarget.timeout(settings);
    return rule.withTarget(settings);
  }

  @Override
  public Plaintext nextValue(
      RotationRule rule, SecretValue current, Plaintext generated, boolean emergency) {
    DatabaseSecret value = DatabaseTarget.parse(current);
    return Plaintext.wrap(value.with(value.username(), generated.revealUtf8()).toJson());
  }

  @Override
  public void set(TargetContext context) {
    DatabaseSecret pending = DatabaseTarget.parse(context.pending());
    DatabaseSecret current = DatabaseTarget.current(context);
    int timeout = DatabaseTarget.timeout(context.rule().target());
    boolean pendingWorks = logsIn(pending, timeout);
    if (!pendingWorks && !logsIn(current, timeout)) {
      throw DatabaseTarget.changedOutside(current);
    }
    try (Resp admin = admin(context.rule(), context.secrets(), timeout)) {
      if (!pendingWorks) {
        call(admin, "add a password to " + pending.username(), aclSetUser(pending, "#"));
      }
      // Also after a crash or a failed save: the password may be live but not yet persisted.
      persist(admin, context.rule());
    }
  }

  @Override
  public boolean canTell(TargetContext context) {
    // A login shows the password is live, not that it was saved: a retried set saves again.
    return false;
  }

  @Override
  public void test(TargetContext context) {
    DatabaseSecret pending = DatabaseTarget.parse(context.pending());
    if (!logsIn(pending, DatabaseTarget.timeout(context.rule().target()))) {
      throw DatabaseTarget.doesNotLogIn(pending);
    }
  }

  @Override
  public void rollback(TargetContext context) {
    DatabaseSecret pending = DatabaseTarget.parse(context.pending());
    int timeout = DatabaseTarget.timeout(context.rule().target());
    try (Resp admin = admin(context.rule(), context.secrets(), timeout)) {
      if (passwords(admin, pending.username()).contains(sha256(pending.password()))) {
        call(admin, "remove the new password of " + pending.username(), aclSetUser(pending, "!"));
        boolean saved =
            context.rotation().checklist().stream()
                .anyMatch(check -> check.ok() && check.name().startsWith("set "));
        if (saved) {
          persist(admin, context.rule()); // on disk it must go too; a failure retries the rollback
        } else {
          try {
            persist(admin, context.rule());
          } catch (KeyturnException.TargetFailure e) {
            // The set step never saved, so what Redis keeps on disk never had the password.
          }
        }
      }
    }
  }

  @Override
  public void revoke(RevokeContext context) {
    List<SecretValue> valid = context.live();
    DatabaseSecret current = DatabaseTarget.parse(valid.get(0));
    Set<String> keep = new HashSet<>();
    for (SecretValue live : valid) {
      DatabaseSecret value = DatabaseTarget.parse(live);
      if (value.username().equals(current.username())) {
        keep.add(sha256(value.password()));
      }
    }
    int timeout = DatabaseTarget.timeout(context.rule().target());
    try (Resp admin = admin(context.rule(), context.secrets(), timeout)) {
      List<String> held = passwords(admin, current.username());
      if (!held.contains(sha256(current.password()))) {
        throw new KeyturnException.TargetFailure(
            "the current password of "
                + current.username()
                + " is not on "
                + DatabaseTarget.where(current)
                + "; no other password was removed");
      }
      boolean changed = false;
      for (String hash : held) {
        if (!keep.contains(hash)) {
          call(
              admin,
              "remove an old password of " + current.username(),
              "ACL",
              "SETUSER",
              current.username(),
              "!" + hash);
          changed = true;
        }
      }
      if (changed) {
        persist(admin, context.rule());
      }
    }
  }

  @Override
  public List<String> setup(RevokeContext context) {
    DatabaseSecret current = DatabaseTarget.parse(context.live().get(0));
    int timeout = DatabaseTarget.timeout(context.rule().target());
    List<String> done = new ArrayList<>();
    byte[] wrong = new byte[32];
    random.nextBytes(wrong);
    if (logsIn(current.with(current.username(), HexFormat.of().formatHex(wrong)), timeout)) {
      throw new KeyturnException.Conflict(
          DatabaseTarget.where(current)
              + " accepted a wrong password for "
              + current.username()
              + " (a nopass user?): logins prove nothing there. Give the user a password first");
    }
    done.add(
        "checked: "
            + DatabaseTarget.where(current)
            + " refuses a wrong password for "
            + current.username());
    if (!logsIn(current, timeout)) {
      throw new KeyturnException.Conflict(
          "the current password of "
              + current.username()
              + " does not log in; store the working credential with keyturn put first");
    }
    done.add("checked: the current password of " + current.username() + " logs in");
    try (Resp admin = admin(context.rule(), context.secrets(), timeout)) {
      done.add("checked: " + persist(admin, context.rule()));
    }
    return done;
  }

  /** AUTH as {@code secret} and PING; false only when Redis refuses the password. */
  private static boolean logsIn(DatabaseSecret secret, int timeoutSeconds) {
    try (Resp r = connect(secret, timeoutSeconds)) {
      try {
        r.call("AUTH", secret.username(), secret.password());
      } catch (Resp.Error e) {
        if (e.getMessage().startsWith("WRONGPASS")) {
          return false;
        }
        throw new KeyturnException.TargetFailure(
            "cannot log in to " + DatabaseTarget.where(secret) + " (" + firstWord(e) + ")");
      }
      return "PONG".equals(r.call("PING"));
    } catch (Resp.Error e) {
      throw new KeyturnException.TargetFailure(
          "PING failed on " + DatabaseTarget.where(secret) + " (" + firstWord(e) + ")");
    } catch (IOException e) {
      throw unreachable(secret, e);
    }
  }

  private static Resp connect(DatabaseSecret secret, int timeoutSeconds) throws IOException {
    return new Resp(secret.host(), secret.port(), timeoutSeconds * 1000);
  }

  private static Resp admin(
      RotationRule rule, Function<SecretName, SecretValue> secrets, int timeoutSeconds) {
    DatabaseSecret admin = DatabaseTarget.adminCredential(rule, secrets, TYPE);
    Resp r = null;
    try {
      r = connect(admin, timeoutSeconds);
      r.call("AUTH", admin.username(), admin.password());
      return r;
    } catch (Resp.Error e) {
      r.close();
      throw new KeyturnException.TargetFailure(
          "the admin credential does not log in to "
              + DatabaseTarget.where(admin)
              + " ("
              + firstWord(e)
              + ")");
    } catch (IOException e) {
      if (r != null) {
        r.close();
      }
      throw unreachable(admin, e);
    }
  }

  private static String[] aclSetUser(DatabaseSecret secret, String op) {
    return new String[] {"ACL", "SETUSER", secret.username(), op + sha256(secret.password())};
  }

  /** The SHA-256 hashes of the user's passwords, as ACL GETUSER lists them. */
  private static List<String> passwords(Resp admin, String user) {
    Object reply = call(admin, "read the ACL of " + user, "ACL", "GETUSER", user);
    if (!(reply instanceof List<?> fields)) {
      throw new KeyturnException.TargetFailure("the Redis user " + user + " does not exist");
    }
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      if ("passwords".equals(fields.get(i)) && fields.get(i + 1) instanceof List<?> hashes) {
        return hashes.stream().map(String::valueOf).toList();
      }
    }
    return List.of();
  }

  /** Writes the ACL where a restart reads it; returns how. */
  private static String persist(Resp admin, RotationRule rule) {
    String mode = rule.target().getOrDefault("persist", "auto");
    if (mode.equals("none")) {
      return "ACL changes are not persisted (persist=none): a restart restores old passwords";
    }
    if (!mode.equals("config-rewrite")) {
      try {
        admin.call("ACL", "SAVE");
        return "ACL changes are persisted with ACL SAVE";
      } catch (Resp.Error e) {
        if (mode.equals("acl-save")) {
          throw new KeyturnException.TargetFailure(
              "ACL SAVE failed (" + firstWord(e) + "): does Redis have an aclfile?");
        }
      } catch (IOException e) {
        throw new KeyturnException.TargetFailure(
            "ACL SAVE failed: " + e.getClass().getSimpleName());
      }
    }
    try {
      admin.call("CONFIG", "REWRITE");
      return "ACL changes are persisted with CONFIG REWRITE";
    } catch (Resp.Error e) {
      throw new KeyturnException.TargetFailure(
          "cannot persist the ACL change: Redis has no aclfile"
              + (mode.equals("auto") ? " and " : ", and ")
              + "CONFIG REWRITE failed ("
              + firstWord(e)
              + "). Start Redis with an aclfile or a config file, or set persist=none to accept"
              + " that a restart restores old passwords");
    } catch (IOException e) {
      throw new KeyturnException.TargetFailure(
          "CONFIG REWRITE failed: " + e.getClass().getSimpleName());
    }
  }

  private static Object call(Resp admin, String what, String... args) {
    try {
      return admin.call(args);
    } catch (Resp.Error e) {
      throw new KeyturnException.TargetFailure("cannot " + what + " (" + firstWord(e) + ")");
    } catch (IOException e) {
      throw new KeyturnException.TargetFailure(
          "cannot " + what + ": " + e.getClass().getSimpleName());
    }
  }

  /** The error's code (ERR, NOPERM, WRONGPASS): Redis messages may quote a command's arguments. */
  private static String firstWord(Resp.Error e) {
    String message = e.getMessage();
    int space = message.indexOf(' ');
    return space < 0 ? message : message.substring(0, space);
  }

  private static KeyturnException.TargetFailure unreachable(DatabaseSecret secret, IOException e) {
    return new KeyturnException.TargetFailure(
        "cannot reach " + DatabaseTarget.where(secret) + " (" + e.getClass().getSimpleName() + ")");
  }

  static String sha256(String password) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(password.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
