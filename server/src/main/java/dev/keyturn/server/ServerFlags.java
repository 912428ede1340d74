package dev.keyturn.server;

import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Settings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The flags of {@code keyturn server} (null means not given), and how they, the environment and the
 * defaults resolve into a {@link ServerConfig}.
 */
public record ServerFlags(
    Path data,
    String listen,
    String store,
    Path tlsCert,
    Path tlsKey,
    boolean insecureHttp,
    String trustProxy,
    Integer authFailureLimit,
    String authLockout,
    String notifyUrl,
    String notifySigningSecret,
    HttpLimits limits,
    Path configFile) {

  /** Flags without a configuration file. */
  public ServerFlags(
      Path data,
      String listen,
      String store,
      Path tlsCert,
      Path tlsKey,
      boolean insecureHttp,
      String trustProxy,
      Integer authFailureLimit,
      String authLockout,
      String notifyUrl,
      String notifySigningSecret,
      HttpLimits limits) {
    this(
        data,
        listen,
        store,
        tlsCert,
        tlsKey,
        insecureHttp,
        trustProxy,
        authFailureLimit,
        authLockout,
        notifyUrl,
        notifySigningSecret,
        limits,
        null);
  }

  /**
   * The configuration from {@code flags}, else {@code KEYTURN_X}, else the file {@code
   * KEYTURN_X_FILE} names, else the default; checked.
   */
  public static ServerConfig resolve(ServerFlags flags, Settings env) {
    Path data =
        flagOrEnv(flags.data(), env, "KEYTURN_DATA", Path::of)
            .orElse(Path.of("keyturn-data"))
            .toAbsolutePath()
            .normalize();
    String listen =
        flagOrEnv(flags.listen(), env, "KEYTURN_LISTEN").orElse(ServerConfig.DEFAULT_LISTEN);
    int colon = listen.lastIndexOf(':');
    if (colon < 1 || !listen.substring(colon + 1).matches("[0-9]{1,5}")) {
      throw new KeyturnException.InvalidInput("--listen takes HOST:PORT, e.g. 127.0.0.1:8270");
    }
    int port = Integer.parseInt(listen.substring(colon + 1));
    if (port > 65535) {
      throw new KeyturnException.InvalidInput("port " + port + " is out of range");
    }
    String host = listen.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String store =
        flagOrEnv(flags.store(), env, "KEYTURN_STORE")
            .orElse("jdbc:sqlite:" + data.resolve("keyturn.db"));
    Optional<Path> cert = flagOrEnv(flags.tlsCert(), env, "KEYTURN_TLS_CERT", Path::of);
    Optional<Path> key = flagOrEnv(flags.tlsKey(), env, "KEYTURN_TLS_KEY", Path::of);
    if (cert.isPresent() != key.isPresent()) {
      throw new KeyturnException.InvalidInput("--tls-cert and --tls-key go together");
    }
    Optional<ServerConfig.Tls> tls = cert.map(c -> new ServerConfig.Tls(c, key.get()));
    if (tls.isEmpty() && !flags.insecureHttp() && !isLoopback(host)) {
      throw new KeyturnException.InvalidInput(
          "refusing to listen on "
              + host
              + " without TLS: give --tls-cert and --tls-key, or"
              + " --insecure-http if something in front of Keyturn terminates TLS");
    }
    int limit =
        Optional.ofNullable(flags.authFailureLimit())
            .orElse(ServerConfig.DEFAULT_AUTH_FAILURE_LIMIT);
    Duration lockout =
        Optional.ofNullable(flags.authLockout())
            .map(Durations::parse)
            .orElse(ServerConfig.DEFAULT_AUTH_LOCKOUT);
    // A key named by KEYTURN_ROOT_KEY_FILE is judged as DATA/root.key is, before it is read.
    env.file("KEYTURN_ROOT_KEY")
        .flatMap(FileTrust.ofThisProcess()::checkNamedKeyFile)
        .ifPresent(org.slf4j.LoggerFactory.getLogger(ServerConfig.class)::warn);
    Optional<String> rootKey = env.get("KEYTURN_ROOT_KEY");
    List<String> trustProxy =
        flagOrEnv(flags.trustProxy(), env, "KEYTURN_TRUST_PROXY").map(List::of).orElse(List.of());
    Optional<String> notifyUrl = flagOrEnv(flags.notifyUrl(), env, "KEYTURN_NOTIFY_URL");
    HttpLimits limits = Optional.ofNullable(flags.limits()).orElse(HttpLimits.DEFAULT);
    dev.keyturn.core.HostPolicy hostPolicy =
        flagOrEnv(flags.configFile(), env, "KEYTURN_CONFIG", Path::of)
            .map(ConfigFile::read)
            .orElse(dev.keyturn.core.HostPolicy.none());
    return ServerConfig.builder()
        .dataDir(data)
        .host(host)
        .port(port)
        .storeUrl(store)
        .rootKey(rootKey)
        .tls(tls)
        .trustProxy(trustProxy)
        .authThrottle(limit, lockout)
        .notifyUrl(notifyUrl, Optional.ofNullable(flags.notifySigningSecret()))
        .limits(limits)
        .hostPolicy(hostPolicy)
        .build();
  }

  /** The flag if given, else the environment's {@code key} (or the file {@code key_FILE} names). */
  private static Optional<String> flagOrEnv(String flag, Settings env, String key) {
    return flagOrEnv(flag, env, key, Function.identity());
  }

  private static <T> Optional<T> flagOrEnv(
      T flag, Settings env, String key, Function<String, T> parse) {
    return Optional.ofNullable(flag).or(() -> env.get(key).map(parse));
  }

  static boolean isLoopback(String host) {
    if (host.equals("localhost")) {
      return true;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new KeyturnException.InvalidInput("cannot resolve listen host " + host);
    }
  }
}
