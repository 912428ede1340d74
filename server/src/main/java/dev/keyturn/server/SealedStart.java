package dev.keyturn.server;

import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.Store;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server started with {@code --unseal-shares K} and no root key: it listens at once, answering
 * health and {@code POST /v1/unseal} only ({@link SealGate}), until K shares rebuild the root key
 * the store records; then the rest of the server is built with that key and the gate opens onto the
 * API, on the same listener. The root key never touches the disk.
 */
final class SealedStart {
  private static final Logger log = LoggerFactory.getLogger(SealedStart.class);

  private final Unsealer unsealer;
  private final SealGate gate;
  private final HeldAuditLog held;
  private final RepeatedRefusals refusals;
  private final HttpListener http;

  private SealedStart(
      Unsealer unsealer,
      SealGate gate,
      HeldAuditLog held,
      RepeatedRefusals refusals,
      HttpListener http) {
    this.unsealer = unsealer;
    this.gate = gate;
    this.held = held;
    this.refusals = refusals;
    this.http = http;
  }

  /**
   * Whether to start sealed: shares are asked for, and neither the environment nor a file holds the
   * key.
   */
  static boolean applies(ServerConfig config) {
    return config.unsealShares() > 0
        && config.rootKey().isEmpty()
        && !java.nio.file.Files.exists(
            config.dataDir().resolve(Bootstrap.ROOT_KEY_FILE),
            java.nio.file.LinkOption.NOFOLLOW_LINKS);
  }

  static SealedStart listen(
      ServerConfig config, Store store, Clock clock, Optional<TlsFiles.Loaded> tls)
      throws Exception {
    String keyId =
        store
            .settings()
            .setting(Bootstrap.ROOT_KEY_SETTING)
            .orElseThrow(() ->
                new Bootstrap.StartupException(
                    "--unseal-shares: this store records no root key yet. Start it once"
                        + " without --unseal-shares (it makes DATA/root.key), split that key"
                        + " with 'keyturn root-key split', then move root.key away"));
    Unsealer unsealer = new Unsealer(config.unsealShares(), keyId, clock);
    HeldAuditLog held = new HeldAuditLog();
    TrustedProxies proxies = TrustedProxies.parse(config.trustProxy());
    RepeatedRefusals refusals = new RepeatedRefusals(held, clock, Duration.ofMinutes(1));
    SealGate gate = new SealGate(unsealer, proxies);
    HttpListener http =
        HttpListener.start(
            config,
            new ClientLimit(
                gate, config.limits().maxRequestsPerClient(), proxies, held, refusals, clock),
            refusals,
            tls);
    log.warn(
        "Keyturn is sealed, listening on {}://{}:{} (store {}, root key {}): submit {} root key"
            + " shares with 'keyturn unseal'",
        config.scheme(),
        config.host().contains(":") ? "[" + config.host() + "]" : config.host(),
        http.port(),
        config.maskedStoreUrl(),
        keyId,
        config.unsealShares());
    return new SealedStart(unsealer, gate, held, refusals, http);
  }

  /** Waits until shares rebuild the store's root key. */
  RootKey awaitKey() throws InterruptedException {
    try {
      return unsealer.opened().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("unsealing failed", e.getCause());
    }
  }

  HttpListener http() {
    return http;
  }

  RepeatedRefusals refusals() {
    return refusals;
  }

  /** Sends every request to {@code api} from now on, and the held audit events to {@code audit}. */
  void open(ApiHandler api, AuditLog audit) {
    held.open(audit);
    gate.open(api);
  }
}
