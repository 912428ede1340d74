package dev.keyturn.targets;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.resps.AccessControlUser;

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
 * timeout-seconds} (default 10), {@code username}, and the pinned {@link Endpoint} ({@code host},
 * {@code port}, {@code tls}, {@code tls-ca}). Every connection, the admin's included, goes to the
 * pinned place through Jedis; with {@code tls=verify-full} (the default for a host that is not
 * loopback) it is TLS ({@code rediss://}) with the server's certificate and name verified. Redis
 * authenticates with the password itself, so without TLS it crosses the network in the clear: keep
 * {@code tls=disable} to a trusted network.
 */
public final class RedisTarget implements Target {
  public static final String TYPE = "redis";
  private static final List<String> PERSIST = List.of("auto", "acl-save", "config-rewrite", "none");
  private final SecureRandom random = new SecureRandom();
  private final HostPolicy host;

  /** A Redis target trusting no declared CA files (the JVM's CAs only). */
  public RedisTarget() {
    this(HostPolicy.none());
  }

  /** A Redis target whose rules' {@code tls-ca} may name the CA files {@code host} declares. */
  public RedisTarget(HostPolicy host) {
    this.host = java.util.Objects.requireNonNull(host, "host");
  }

  @Override
  public void validate(
      RotationRule rule, java.util.function.Function<SecretName, SecretValue> secrets) {
    DatabaseTarget.requireEngine(rule, DatabaseTarget.parse(secrets.apply(rule.secret())), TYPE);
    if (rule.strategy() != Strategy.OVERLAP && rule.strategy() != Strategy.SINGLE_USER) {
      throw new KeyturnException.InvalidInput(
          "target redis rotates with --strategy overlap (old password removed when --grace ends)"
              + " or single-user");
    }
    DatabaseTarget.requireTextPassword(rule);
    dev.keyturn.core.SettingChecks.target(rule)
        .only(
            java.util.stream.Stream.concat(
                    java.util.stream.Stream.of("admin", "persist", "timeout-seconds", "username"),
                    Endpoint.PINNED.stream())
                .toArray(String[]::new))
        .secretName("admin")
        .oneOf("persist", PERSIST)
        .integer("timeout-seconds", 1, 300);
    DatabaseTarget.adminCredential(rule, secrets, TYPE);
  }

  /** The pinned host (see {@link Endpoint#pin}). */
  @Override
  public java.util.Map<String, String> destinations(RotationRule rule) {
    String host = rule.target().get(Endpoint.HOST);
    return host == null ? java.util.Map.of() : java.util.Map.of(Endpoint.HOST, host);
  }

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
    Map<String, String> settings = Endpoint.pin(new LinkedHashMap<>(rule.target()), value, host);
    String user = settings.computeIfAbsent("username", k -> value.username());
    if (!user.equals(value.username())) {
      throw new KeyturnException.InvalidInput(
          "the secret's username is not " + user + " (the user the rule pins)");
    }
    String persist = settings.computeIfAbsent("persist", k -> "auto");
    if (!PERSIST.contains(persist)) {
      throw new KeyturnException.InvalidInput("persist is auto, acl-save, config-rewrite or none");
    }
    DatabaseTarget.timeout(settings);
    return rule.withTarget(settings);
  }

  @Override
  public void checkWrite(RotationRule rule, Optional<SecretValue> current, Plaintext value) {
    DatabaseTarget.checkWrite(rule, current, value, TYPE);
  }

  @Override
  public Plaintext nextValue(
      RotationRule rule, SecretValue current, Plaintext generated, boolean emergency) {
    DatabaseSecret value = DatabaseTarget.pinned(rule, current);
    return Plaintext.wrap(value.with(value.username(), generated.revealUtf8()).toJson());
  }

  @Override
  public void set(TargetContext context) {
    Endpoint where = Endpoint.of(context.rule(), context.outbound(), host);
    DatabaseSecret pending = DatabaseTarget.pinned(context.rule(), context.pending());
    DatabaseSecret current = DatabaseTarget.current(context);
    int timeout = DatabaseTarget.timeout(context.rule().target());
    boolean pendingWorks = logsIn(where, pending, timeout);
    if (!pendingWorks && !logsIn(where, current, timeout)) {
      throw DatabaseTarget.changedOutside(current);
    }
    try (Jedis admin = admin(where, context.rule(), context.secrets(), timeout)) {
      if (!pendingWorks) {
        call(
            "add a password to " + pending.username(),
            () -> admin.aclSetUser(pending.username(), "#" + sha256(pending.password())));
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
    Endpoint where = Endpoint.of(context.rule(), context.outbound(), host);
    DatabaseSecret pending = DatabaseTarget.pinned(context.rule(), context.pending());
    if (!logsIn(where, pending, DatabaseTarget.timeout(context.rule().target()))) {
      throw DatabaseTarget.doesNotLogIn(pending);
    }
  }

  @Override
  public void rollback(TargetContext context) {
    DatabaseSecret pending = DatabaseTarget.pinned(context.rule(), context.pending());
    int timeout = DatabaseTarget.timeout(context.rule().target());
    try (Jedis admin =
        admin(
            Endpoint.of(context.rule(), context.outbound(), host),
            context.rule(),
            context.secrets(),
            timeout)) {
      if (passwords(admin, pending.username()).contains(sha256(pending.password()))) {
        call(
            "remove the new password of " + pending.username(),
            () -> admin.aclSetUser(pending.username(), "!" + sha256(pending.password())));
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
    DatabaseSecret current = DatabaseTarget.pinned(context.rule(), valid.get(0));
    Set<String> keep = new HashSet<>();
    for (SecretValue live : valid) {
      DatabaseSecret value = DatabaseTarget.parse(live);
      if (value.username().equals(current.username())) {
        keep.add(sha256(value.password()));
      }
    }
    int timeout = DatabaseTarget.timeout(context.rule().target());
    try (Jedis admin =
        admin(
            Endpoint.of(context.rule(), context.outbound(), host),
            context.rule(),
            context.secrets(),
            timeout)) {
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
              "remove an old password of " + current.username(),
              () -> admin.aclSetUser(current.username(), "!" + hash));
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
    Endpoint where = Endpoint.of(context.rule(), context.outbound(), host);
    DatabaseSecret current = DatabaseTarget.pinned(context.rule(), context.live().get(0));
    int timeout = DatabaseTarget.timeout(context.rule().target());
    List<String> done = new ArrayList<>();
    byte[] wrong = new byte[32];
    random.nextBytes(wrong);
    if (logsIn(where, current.with(current.username(), HexFormat.of().formatHex(wrong)), timeout)) {
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
    if (!logsIn(where, current, timeout)) {
      throw new KeyturnException.Conflict(
          "the current password of "
              + current.username()
              + " does not log in; store the working credential first (see"
              + " docs/runbooks/database.md)");
    }
    done.add("checked: the current password of " + current.username() + " logs in");
    try (Jedis admin = admin(where, context.rule(), context.secrets(), timeout)) {
      done.add("checked: " + persist(admin, context.rule()));
    }
    return done;
  }

  /** AUTH as {@code secret} at {@code where} and PING; false only when Redis refuses it. */
  private static boolean logsIn(Endpoint where, DatabaseSecret secret, int timeoutSeconds) {
    try (Jedis r = connect(where, timeoutSeconds)) {
      try {
        r.auth(secret.username(), secret.password());
      } catch (JedisAccessControlException e) {
        if (firstWord(e).equals("WRONGPASS")) {
          return false;
        }
        throw new KeyturnException.TargetFailure(
            "cannot log in to " + DatabaseTarget.where(secret) + " (" + firstWord(e) + ")");
      }
      return "PONG".equals(r.ping());
    } catch (JedisConnectionException e) {
      throw unreachable(secret, e);
    } catch (JedisDataException e) {
      throw new KeyturnException.TargetFailure(
          "cannot log in to " + DatabaseTarget.where(secret) + " (" + firstWord(e) + ")");
    }
  }

  /**
   * A connection to {@code where}, not yet authenticated: its socket connected only to an address
   * {@code where.outbound()} allows (checked on the resolved address, before anything is sent), TLS
   * with the certificate and the host name verified when the rule says so; no {@code CLIENT
   * SETINFO}, so the first command is AUTH.
   *
   * @throws KeyturnException.Forbidden if the outbound policy refuses every address of the host
   */
  private static Jedis connect(Endpoint where, int timeoutSeconds) {
    DefaultJedisClientConfig config =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(timeoutSeconds * 1000)
            .socketTimeoutMillis(timeoutSeconds * 1000)
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .build();
    try {
      return new Jedis(() -> socket(where, timeoutSeconds), config);
    } catch (JedisConnectionException e) {
      if (Outbound.isRefusal(e)) {
        throw Outbound.refused();
      }
      throw e;
    }
  }

  /** What Jedis's own socket factory does, with the connection made through the policy. */
  private static Socket socket(Endpoint where, int timeoutSeconds) {
    Socket plain = null;
    try {
      plain =
          where.outbound().connect(where.host(), where.port(), Duration.ofSeconds(timeoutSeconds));
      plain.setSoLinger(true, 0);
      plain.setTcpNoDelay(true);
      plain.setKeepAlive(true);
      plain.setSoTimeout(timeoutSeconds * 1000);
      if (!where.tls()) {
        return plain;
      }
      SSLSocket ssl =
          (SSLSocket)
              where.sslSocketFactory().createSocket(plain, where.host(), where.port(), true);
      SSLParameters parameters = ssl.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      ssl.setSSLParameters(parameters);
      ssl.startHandshake();
      return ssl;
    } catch (IOException e) {
      closeQuietly(plain);
      throw new JedisConnectionException("cannot connect", e);
    } catch (RuntimeException e) {
      closeQuietly(plain);
      throw e;
    }
  }

  private static void closeQuietly(Socket socket) {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing a failed connection
      }
    }
  }

  private static Jedis admin(
      Endpoint where,
      RotationRule rule,
      Function<SecretName, SecretValue> secrets,
      int timeoutSeconds) {
    DatabaseSecret admin = where.apply(DatabaseTarget.adminCredential(rule, secrets, TYPE));
    Jedis r = connect(where, timeoutSeconds);
    try {
      r.auth(admin.username(), admin.password());
      return r;
    } catch (JedisConnectionException e) {
      r.close();
      throw unreachable(admin, e);
    } catch (JedisDataException e) {
      r.close();
      String code = firstWord(e);
      String message =
          "the admin credential does not log in to "
              + DatabaseTarget.where(admin)
              + " ("
              + code
              + ")";
      throw code.equals("WRONGPASS")
          ? KeyturnException.TargetFailure.permanent(message)
          : new KeyturnException.TargetFailure(message);
    }
  }

  /** The SHA-256 hashes of the user's passwords, as ACL GETUSER lists them. */
  private static List<String> passwords(Jedis admin, String user) {
    AccessControlUser acl = call("read the ACL of " + user, () -> admin.aclGetUser(user));
    if (acl == null) {
      throw new KeyturnException.TargetFailure("the Redis user " + user + " does not exist");
    }
    List<String> hashes = acl.getPasswords();
    return hashes == null ? List.of() : List.copyOf(hashes);
  }

  /** Writes the ACL where a restart reads it; returns how. */
  private static String persist(Jedis admin, RotationRule rule) {
    String mode = rule.target().getOrDefault("persist", "auto");
    if (mode.equals("none")) {
      return "ACL changes are not persisted (persist=none): a restart restores old passwords";
    }
    if (!mode.equals("config-rewrite")) {
      try {
        admin.aclSave();
        return "ACL changes are persisted with ACL SAVE";
      } catch (JedisDataException e) {
        if (mode.equals("acl-save")) {
          throw new KeyturnException.TargetFailure(
              "ACL SAVE failed (" + firstWord(e) + "): does Redis have an aclfile?");
        }
      } catch (JedisConnectionException e) {
        throw new KeyturnException.TargetFailure("ACL SAVE failed: " + cause(e));
      }
    }
    try {
      admin.configRewrite();
      return "ACL changes are persisted with CONFIG REWRITE";
    } catch (JedisDataException e) {
      throw new KeyturnException.TargetFailure(
          "cannot persist the ACL change: Redis has no aclfile"
              + (mode.equals("auto") ? " and " : ", and ")
              + "CONFIG REWRITE failed ("
              + firstWord(e)
              + "). Start Redis with an aclfile or a config file, or set persist=none to accept"
              + " that a restart restores old passwords");
    } catch (JedisConnectionException e) {
      throw new KeyturnException.TargetFailure("CONFIG REWRITE failed: " + cause(e));
    }
  }

  private static <T> T call(String what, Supplier<T> command) {
    try {
      return command.get();
    } catch (JedisConnectionException e) {
      throw new KeyturnException.TargetFailure("cannot " + what + ": " + cause(e));
    } catch (JedisDataException e) {
      throw new KeyturnException.TargetFailure("cannot " + what + " (" + firstWord(e) + ")");
    }
  }

  /** The error's code (ERR, NOPERM, WRONGPASS): Redis messages may quote a command's arguments. */
  private static String firstWord(JedisException e) {
    String message = String.valueOf(e.getMessage());
    int space = message.indexOf(' ');
    return space < 0 ? message : message.substring(0, space);
  }

  /** The plain words for a dropped or failed connection: never an exception's name. */
  private static String cause(Throwable e) {
    return NetworkFailure.of(e).orElse("connection lost");
  }

  private static KeyturnException.TargetFailure unreachable(DatabaseSecret secret, Exception e) {
    return new KeyturnException.TargetFailure(
        NetworkFailure.describe(DatabaseTarget.where(secret), e));
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
