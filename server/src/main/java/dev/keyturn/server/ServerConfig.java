package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Settings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The server's settings, resolved once at start (flag, then {@code KEYTURN_X}, then {@code
 * KEYTURN_X_FILE}, then default), checked, and then frozen.
 *
 * @param storeUrl a JDBC URL; defaults to SQLite in the data directory
 * @param rootKey the root key in base64 when given by environment; else it lives in the data dir
 * @param tls the certificate chain and private key (PEM) to serve HTTPS with
 * @param trustProxy the proxies (CIDR ranges) whose X-Forwarded-For is believed; see {@link
 *     TrustedProxies}
 * @param authFailureLimit failed authentications per minute from one address before 429
 * @param authLockout how long an address is refused once it reaches the limit
 * @param notifyUrl where rotation outcomes and overdue secrets are announced (Slack-style JSON)
 * @param notifySigningSecret the secret whose value signs those calls
 * @param limits how much of the HTTP listener one client may hold
 * @param hostPolicy what the configuration file ({@code --config}) declares: commands rules may
 *     name, SQLite files SQL hooks may open, and where scoped admins' rules may connect
 */
public record ServerConfig(
    Path dataDir,
    String host,
    int port,
    String storeUrl,
    Optional<String> rootKey,
    Optional<Tls> tls,
    List<String> trustProxy,
    int authFailureLimit,
    Duration authLockout,
    Optional<String> notifyUrl,
    Optional<String> notifySigningSecret,
    HttpLimits limits,
    dev.keyturn.core.HostPolicy hostPolicy) {
  static final String DEFAULT_LISTEN = "127.0.0.1:8270";
  static final int DEFAULT_AUTH_FAILURE_LIMIT = 10;
  static final Duration DEFAULT_AUTH_LOCKOUT = Duration.ofSeconds(60);

  /** PEM files for HTTPS. */
  public record Tls(Path certificate, Path privateKey) {}

  public ServerConfig {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(host, "host");
    requireNonNull(storeUrl, "storeUrl");
    requireNonNull(rootKey, "rootKey");
    requireNonNull(tls, "tls");
    trustProxy = List.copyOf(trustProxy);
    TrustedProxies.parse(trustProxy);
    requireNonNull(authLockout, "authLockout");
    requireNonNull(notifyUrl, "notifyUrl");
    requireNonNull(notifySigningSecret, "notifySigningSecret");
    requireNonNull(limits, "limits");
    if (notifyUrl.isPresent() && !notifyUrl.get().matches("https?://.+")) {
      throw new KeyturnException.InvalidInput("--notify-url must be an http or https URL");
    }
    notifySigningSecret.ifPresent(dev.keyturn.core.SecretName::of);
    requireNonNull(hostPolicy, "hostPolicy");
    if (authFailureLimit < 1) {
      throw new KeyturnException.InvalidInput("the auth failure limit must be at least 1");
    }
  }

  /** Plain HTTP on loopback with default limits: what tests and a laptop use. */
  public static ServerConfig local(
      Path dataDir, String host, int port, String storeUrl, Optional<String> rootKey) {
    return new ServerConfig(
        dataDir,
        host,
        port,
        storeUrl,
        rootKey,
        Optional.empty(),
        List.of(),
        DEFAULT_AUTH_FAILURE_LIMIT,
        DEFAULT_AUTH_LOCKOUT,
        Optional.empty(),
        Optional.empty(),
        HttpLimits.DEFAULT,
        dev.keyturn.core.HostPolicy.none());
  }

  /** This configuration with other failed-authentication limits. */
  public ServerConfig withAuthThrottle(int limit, Duration lockout) {
    return new ServerConfig(
        dataDir,
        host,
        port,
        storeUrl,
        rootKey,
        tls,
        trustProxy,
        limit,
        lockout,
        notifyUrl,
        notifySigningSecret,
        limits,
        hostPolicy);
  }

  /** This configuration serving HTTPS with {@code tls}. */
  public ServerConfig withTls(Tls tls) {
    return new ServerConfig(
        dataDir,
        host,
        port,
        storeUrl,
        rootKey,
        Optional.of(tls),
        trustProxy,
        authFailureLimit,
        authLockout,
        notifyUrl,
        notifySigningSecret,
        limits,
        hostPolicy);
  }

  /** This configuration believing X-Forwarded-For from peers in {@code cidrs} only. */
  public ServerConfig withTrustProxy(String... cidrs) {
    return new ServerConfig(
        dataDir,
        host,
        port,
        storeUrl,
        rootKey,
        tls,
        List.of(cidrs),
        authFailureLimit,
        authLockout,
        notifyUrl,
        notifySigningSecret,
        limits,
        hostPolicy);
  }

  /** This configuration with other HTTP limits. */
  public ServerConfig withLimits(HttpLimits limits) {
    return new ServerConfig(
        dataDir,
        host,
        port,
        storeUrl,
        rootKey,
        tls,
        trustProxy,
        authFailureLimit,
        authLockout,
        notifyUrl,
        notifySigningSecret,
        limits,
        hostPolicy);
  }

  /** This configuration announcing to {@code url}, signed with {@code signingSecret} if given. */
  public ServerConfig withNotify(String url, Optional<String> signingSecret) {
    return new ServerConfig(
        dataDir,
        host,
        port,
        storeUrl,
        rootKey,
        tls,
        trustProxy,
        authFailureLimit,
        authLockout,
        Optional.of(url),
        signingSecret,
        limits,
        hostPolicy);
  }

  /** This configuration with what a configuration file declares. */
  public ServerConfig withHostPolicy(dev.keyturn.core.HostPolicy policy) {
    return new ServerConfig(
        dataDir,
        host,
        port,
        storeUrl,
        rootKey,
        tls,
        trustProxy,
        authFailureLimit,
        authLockout,
        notifyUrl,
        notifySigningSecret,
        limits,
        policy);
  }

  /** The flags of {@code keyturn server}; null means not given. */
  public record Flags(
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
    public Flags(
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
  }

  public static ServerConfig resolve(Flags flags, Settings env) {
    Path data =
        Optional.ofNullable(flags.data())
            .or(() -> env.get("KEYTURN_DATA").map(Path::of))
            .orElse(Path.of("keyturn-data"))
            .toAbsolutePath()
            .normalize();
    String listen =
        Optional.ofNullable(flags.listen())
            .or(() -> env.get("KEYTURN_LISTEN"))
            .orElse(DEFAULT_LISTEN);
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
        Optional.ofNullable(flags.store())
            .or(() -> env.get("KEYTURN_STORE"))
            .orElse("jdbc:sqlite:" + data.resolve("keyturn.db"));
    Optional<Path> cert =
        Optional.ofNullable(flags.tlsCert()).or(() -> env.get("KEYTURN_TLS_CERT").map(Path::of));
    Optional<Path> key =
        Optional.ofNullable(flags.tlsKey()).or(() -> env.get("KEYTURN_TLS_KEY").map(Path::of));
    if (cert.isPresent() != key.isPresent()) {
      throw new KeyturnException.InvalidInput("--tls-cert and --tls-key go together");
    }
    Optional<Tls> tls = cert.map(c -> new Tls(c, key.get()));
    if (tls.isEmpty() && !flags.insecureHttp() && !isLoopback(host)) {
      throw new KeyturnException.InvalidInput(
          "refusing to listen on "
              + host
              + " without TLS: give --tls-cert and --tls-key, or"
              + " --insecure-http if something in front of Keyturn terminates TLS");
    }
    int limit = Optional.ofNullable(flags.authFailureLimit()).orElse(DEFAULT_AUTH_FAILURE_LIMIT);
    Duration lockout =
        Optional.ofNullable(flags.authLockout()).map(Durations::parse).orElse(DEFAULT_AUTH_LOCKOUT);
    // A key named by KEYTURN_ROOT_KEY_FILE is judged as DATA/root.key is, before it is read.
    env.file("KEYTURN_ROOT_KEY")
        .flatMap(FileTrust.ofThisProcess()::checkNamedKeyFile)
        .ifPresent(org.slf4j.LoggerFactory.getLogger(ServerConfig.class)::warn);
    return new ServerConfig(
        data,
        host,
        port,
        store,
        env.get("KEYTURN_ROOT_KEY"),
        tls,
        Optional.ofNullable(flags.trustProxy())
            .or(() -> env.get("KEYTURN_TRUST_PROXY"))
            .map(List::of)
            .orElse(List.of()),
        limit,
        lockout,
        Optional.ofNullable(flags.notifyUrl()).or(() -> env.get("KEYTURN_NOTIFY_URL")),
        Optional.ofNullable(flags.notifySigningSecret()),
        Optional.ofNullable(flags.limits()).orElse(HttpLimits.DEFAULT),
        Optional.ofNullable(flags.configFile())
            .or(() -> env.get("KEYTURN_CONFIG").map(Path::of))
            .map(ConfigFile::read)
            .orElse(dev.keyturn.core.HostPolicy.none()));
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

  /** The URL clients use to reach this server. */
  String scheme() {
    return tls.isPresent() ? "https" : "http";
  }

  /** The store URL with any password masked, for logs. */
  String maskedStoreUrl() {
    return storeUrl
        .replaceAll("(?i)(password=)[^&;]*", "$1***")
        .replaceAll("//([^/@:]*):[^/@]*@", "//$1:***@");
  }

  @Override
  public String toString() {
    return "ServerConfig[data="
        + dataDir
        + ", listen="
        + host
        + ":"
        + port
        + ", store="
        + maskedStoreUrl()
        + ", rootKey="
        + (rootKey.isPresent() ? "[from environment]" : "[data dir]")
        + ", tls="
        + tls.isPresent()
        + ", trustProxy="
        + trustProxy
        + "]";
  }
}
