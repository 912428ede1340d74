package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The server's settings, resolved once at start from {@link ServerFlags} (flag, then {@code
 * KEYTURN_X}, then {@code KEYTURN_X_FILE}, then default), checked, and then frozen.
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
 * @param unsealShares when above 0 and no root key is given or in the data folder, the server
 *     starts sealed and opens once this many root key shares rebuild the key ({@link SealedStart})
 * @param hostPolicy what the configuration file ({@code --config}) declares: commands rules may
 *     name, SQLite files SQL hooks may open, and where scoped admins' rules may connect
 * @param backups scheduled backups ({@code --backup-dir} and the flags with it), checked at start
 * @param ui whether the web dashboard is served at {@code /ui/} ({@code --ui}; by default when the
 *     server listens on a loopback address)
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
    dev.keyturn.core.HostPolicy hostPolicy,
    int unsealShares,
    Optional<BackupSchedule> backups,
    boolean ui) {
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
    requireNonNull(backups, "backups");
    if (unsealShares != 0 && (unsealShares < 2 || unsealShares > 255)) {
      throw new KeyturnException.InvalidInput("--unseal-shares is 2 to 255");
    }
    if (authFailureLimit < 1) {
      throw new KeyturnException.InvalidInput("the auth failure limit must be at least 1");
    }
  }

  /** Plain HTTP on loopback with default limits: what tests and a laptop use. */
  public static ServerConfig local(
      Path dataDir, String host, int port, String storeUrl, Optional<String> rootKey) {
    return builder()
        .dataDir(dataDir)
        .host(host)
        .port(port)
        .storeUrl(storeUrl)
        .rootKey(rootKey)
        .build();
  }

  /**
   * A configuration with the defaults of {@link #local} for what is not set; {@code dataDir},
   * {@code host} and {@code storeUrl} are required.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this configuration, to change a few settings of it. */
  public Builder toBuilder() {
    return builder()
        .dataDir(dataDir)
        .host(host)
        .port(port)
        .storeUrl(storeUrl)
        .rootKey(rootKey)
        .tls(tls)
        .trustProxy(trustProxy)
        .authThrottle(authFailureLimit, authLockout)
        .notifyUrl(notifyUrl, notifySigningSecret)
        .limits(limits)
        .hostPolicy(hostPolicy)
        .unsealShares(unsealShares)
        .backups(backups)
        .ui(ui);
  }

  /**
   * Builds a {@link ServerConfig}; {@link #build} checks it as the constructor does. Not
   * thread-safe.
   */
  public static final class Builder {
    private Path dataDir;
    private String host;
    private int port;
    private String storeUrl;
    private Optional<String> rootKey = Optional.empty();
    private Optional<Tls> tls = Optional.empty();
    private List<String> trustProxy = List.of();
    private int authFailureLimit = DEFAULT_AUTH_FAILURE_LIMIT;
    private Duration authLockout = DEFAULT_AUTH_LOCKOUT;
    private Optional<String> notifyUrl = Optional.empty();
    private Optional<String> notifySigningSecret = Optional.empty();
    private HttpLimits limits = HttpLimits.DEFAULT;
    private dev.keyturn.core.HostPolicy hostPolicy = dev.keyturn.core.HostPolicy.none();
    private int unsealShares;
    private Optional<BackupSchedule> backups = Optional.empty();
    private Optional<Boolean> ui = Optional.empty();

    private Builder() {}

    /** Write scheduled backups as {@code backups} says (empty: none). */
    public Builder backups(Optional<BackupSchedule> backups) {
      this.backups = backups;
      return this;
    }

    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder storeUrl(String storeUrl) {
      this.storeUrl = storeUrl;
      return this;
    }

    /** The root key in base64; empty: it lives in the data folder. */
    public Builder rootKey(Optional<String> rootKey) {
      this.rootKey = rootKey;
      return this;
    }

    /** Serve HTTPS with {@code tls}. */
    public Builder tls(Tls tls) {
      return tls(Optional.of(tls));
    }

    public Builder tls(Optional<Tls> tls) {
      this.tls = tls;
      return this;
    }

    /** Believe X-Forwarded-For from peers in {@code cidrs} only. */
    public Builder trustProxy(String... cidrs) {
      return trustProxy(List.of(cidrs));
    }

    public Builder trustProxy(List<String> cidrs) {
      this.trustProxy = cidrs;
      return this;
    }

    /** Refuse an address for {@code lockout} once it failed to authenticate {@code limit} times. */
    public Builder authThrottle(int limit, Duration lockout) {
      this.authFailureLimit = limit;
      this.authLockout = lockout;
      return this;
    }

    /**
     * Announce to {@code url}, signed with the value of the secret {@code signingSecret} if given.
     */
    public Builder notifyUrl(String url, Optional<String> signingSecret) {
      return notifyUrl(Optional.of(url), signingSecret);
    }

    public Builder notifyUrl(Optional<String> url, Optional<String> signingSecret) {
      this.notifyUrl = url;
      this.notifySigningSecret = signingSecret;
      return this;
    }

    public Builder limits(HttpLimits limits) {
      this.limits = limits;
      return this;
    }

    /** Start sealed, asking for this many root key shares, when no root key is at hand. */
    public Builder unsealShares(int unsealShares) {
      this.unsealShares = unsealShares;
      return this;
    }

    /** What a configuration file declares. */
    /** Serves the dashboard ({@code true}) or not; unset, it is served on a loopback address. */
    public Builder ui(boolean ui) {
      this.ui = Optional.of(ui);
      return this;
    }

    public Builder hostPolicy(dev.keyturn.core.HostPolicy hostPolicy) {
      this.hostPolicy = hostPolicy;
      return this;
    }

    /**
     * @throws IllegalStateException naming what is missing
     * @throws KeyturnException.InvalidInput if a setting is wrong
     */
    public ServerConfig build() {
      List<String> missing = new java.util.ArrayList<>();
      if (dataDir == null) missing.add("dataDir");
      if (host == null) missing.add("host");
      if (storeUrl == null) missing.add("storeUrl");
      if (!missing.isEmpty()) {
        throw new IllegalStateException(
            "a server configuration needs " + String.join(", ", missing));
      }
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
          hostPolicy,
          unsealShares,
          backups,
          ui.orElseGet(() -> loopback(host)));
    }

    private static boolean loopback(String host) {
      try {
        return ServerFlags.isLoopback(host);
      } catch (KeyturnException e) {
        return false;
      }
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
