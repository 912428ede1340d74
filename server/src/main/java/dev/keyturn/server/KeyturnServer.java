package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.SealResponse;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.Store;
import dev.keyturn.store.JdbcStore;
import dev.keyturn.store.NodePresence;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Keyturn server: the HTTP(S) listener behind a {@link SealGate}, and while it is open an
 * {@link OpenServer} (the store, the root key, the audit log, the secret service and the API) built
 * from the root key. {@link #start} checks everything before it listens (or, sealed, listens for
 * shares first); {@link #seal} drops the open part and every key in it, and K shares build it
 * again; {@link #close} stops listening, lets requests in flight finish, flushes the audit log and
 * closes the store. Thread-safe.
 */
public final class KeyturnServer implements AutoCloseable, SealApi.Sealer {
  private static final Logger log = LoggerFactory.getLogger(KeyturnServer.class);

  /** How old the status board behind the {@code keyturn_secrets} gauges may be at a scrape. */
  static final Duration STATUS_GAUGES_MAX_AGE = Duration.ofSeconds(10);

  /** How long a seal waits for requests in flight to finish before it zeroes the keys. */
  static final Duration SEAL_DRAIN = Duration.ofSeconds(10);

  private final ServerConfig config;
  private final Clock clock;
  private final SealGate gate;
  private final HeldAuditLog held;
  private final StoreLock lock;
  private final NodePresence presence;
  private OpenServer.Wiring wiring;
  private HttpListener http;
  private int port;
  private Optional<String> newRootToken = Optional.empty();
  private volatile OpenServer current;
  private Thread waiter;
  private boolean closed;

  private KeyturnServer(
      ServerConfig config,
      Clock clock,
      SealGate gate,
      HeldAuditLog held,
      StoreLock lock,
      NodePresence presence) {
    this.config = config;
    this.clock = clock;
    this.gate = gate;
    this.held = held;
    this.lock = lock;
    this.presence = presence;
  }

  /** Opens the store, checks the root key, makes the root token on first start, and listens. */
  public static KeyturnServer start(ServerConfig config, Clock clock, SecureRandom random) {
    return start(config, clock, random, UnaryOperator.identity());
  }

  /** As {@link #start(ServerConfig, Clock, SecureRandom)}, serving {@code routes} of the table. */
  static KeyturnServer start(
      ServerConfig config, Clock clock, SecureRandom random, UnaryOperator<List<Route>> routes) {
    requireNonNull(config, "config");
    Optional<TlsFiles.Loaded> tls = config.tls().map(t -> TlsFiles.load(t, random));
    Bootstrap.dataDir(config.dataDir());
    // Two servers on one SQLite file would each cache what the other changes: refuse.
    StoreLock lock = StoreLock.acquire(config.storeUrl());
    // On PostgreSQL, mark this node as running, so that operator commands know to refuse.
    NodePresence presence;
    Store store;
    try {
      presence = NodePresence.server(config.storeUrl());
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
    try {
      store = JdbcStore.open(config.storeUrl(), clock);
    } catch (RuntimeException e) {
      presence.close();
      lock.close();
      throw e;
    }
    TrustedProxies proxies = TrustedProxies.parse(config.trustProxy());
    HeldAuditLog held = new HeldAuditLog();
    RepeatedRefusals refusals = new RepeatedRefusals(held, clock, Duration.ofMinutes(1));
    SealGate gate = new SealGate(proxies);
    KeyturnServer server = new KeyturnServer(config, clock, gate, held, lock, presence);
    ClientLimit limit =
        new ClientLimit(
            gate, config.limits().maxRequestsPerClient(), proxies, held, refusals, clock);
    boolean storeOwned = false;
    try {
      String node = Bootstrap.nodeId(config.dataDir(), random);
      server.wiring =
          new OpenServer.Wiring(
              config, clock, random, routes, refusals, proxies, new SealApi(server), node);
      RootKey rootKey;
      Optional<RootKey> next = Optional.empty();
      RootKeyRotator.Source source = RootKeyRotator.Source.SHARES;
      boolean sealed = SealedStart.applies(config);
      if (sealed) {
        List<String> ids = SealedStart.keyIds(store);
        Unsealer unsealer = new Unsealer(config.unsealShares(), ids, clock);
        gate.seal(Optional.of(unsealer));
        server.listen(limit, refusals, tls);
        log.warn(
            "Keyturn is sealed, listening on {} (store {}, root key {}): submit {} root key"
                + " shares with 'keyturn unseal'",
            server.address(),
            config.maskedStoreUrl(),
            String.join(" or ", ids),
            config.unsealShares());
        RootKey unsealed = await(unsealer);
        log.info("unsealed: the shares rebuilt root key {}", unsealed.id());
        RootKeyFiles.Keys keys = SealedStart.keys(store, unsealed);
        rootKey = keys.current();
        next = keys.next();
      } else {
        RootKeyFiles.Keys keys =
            Bootstrap.rootKeys(store, config.dataDir(), config.rootKey(), random);
        rootKey = keys.current();
        next = keys.next();
        source =
            config.rootKey().isPresent()
                ? RootKeyRotator.Source.ENVIRONMENT
                : RootKeyRotator.Source.FILE;
      }
      storeOwned = true;
      OpenServer open = OpenServer.open(server.wiring, store, rootKey, next, source);
      server.current = open;
      server.newRootToken = Bootstrap.rootToken(open.store(), config.dataDir(), random, clock);
      held.open(open.audit());
      gate.open(open.handler());
      if (!sealed) {
        server.listen(limit, refusals, tls);
      }
      log.info(
          "Keyturn listening on {} (store {}, root key {})",
          server.address(),
          config.maskedStoreUrl(),
          open.rootKeyId());
      return server;
    } catch (Exception e) {
      if (server.http != null) {
        server.http.close();
      }
      if (server.current != null) {
        server.current.close();
      } else if (!storeOwned) {
        store.close();
      }
      presence.close();
      lock.close();
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("the HTTP listener did not start: " + e.getMessage(), e);
    }
  }

  private void listen(ClientLimit limit, RepeatedRefusals refusals, Optional<TlsFiles.Loaded> tls)
      throws Exception {
    http = HttpListener.start(config, limit, refusals, tls);
    port = http.port();
  }

  private String address() {
    return config.scheme()
        + "://"
        + (config.host().contains(":") ? "[" + config.host() + "]" : config.host())
        + ":"
        + port;
  }

  private static RootKey await(Unsealer unsealer) throws InterruptedException {
    try {
      return unsealer.opened().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("unsealing failed", e.getCause());
    }
  }

  /**
   * Seals: new requests get 503 {@code sealed} at once, event streams end, requests in flight get
   * {@link #SEAL_DRAIN} to finish, then the open part is closed (audit log flushed, store closed)
   * and every key it held is zeroed. With {@code --unseal-shares K}, K shares open it again.
   */
  @Override
  public synchronized SealResponse seal() {
    OpenServer open = current;
    int threshold = config.unsealShares();
    String note = note();
    if (open == null) {
      return new SealResponse(true, "", threshold > 0 ? "shares" : "restart", threshold, note);
    }
    String keyId = open.rootKeyId();
    Optional<Unsealer> next =
        threshold > 0
            ? Optional.of(new Unsealer(threshold, unsealIds(open), clock))
            : Optional.empty();
    gate.seal(next);
    open.closeStreams();
    try {
      // The seal request itself is in flight until its answer is written.
      if (!gate.awaitDrained(1, SEAL_DRAIN)) {
        log.warn("seal: requests still in flight after {}; sealing anyway", SEAL_DRAIN);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    held.hold();
    current = null;
    try {
      open.close();
    } finally {
      gate.forgetApi();
    }
    next.ifPresent(this::awaitShares);
    log.warn(
        "sealed: root key {} and every data key dropped from memory; {}",
        keyId,
        next.isPresent()
            ? "submit " + threshold + " root key shares with 'keyturn unseal' to open"
            : "restart the server with its root key to open");
    return new SealResponse(true, keyId, next.isPresent() ? "shares" : "restart", threshold, note);
  }

  /** The keys whose shares open {@code open}'s store again (both, mid-rotation of shares). */
  private static List<String> unsealIds(OpenServer open) {
    try {
      return SealedStart.keyIds(open.store());
    } catch (Bootstrap.StartupException e) {
      // A file-held key's rotation: its own shares still rebuild the key in force.
      return List.of(open.rootKeyId());
    }
  }

  /** What still holds the key outside the server's memory after a seal, for its answer. */
  private String note() {
    if (config.rootKey().isPresent()) {
      return "the root key came from KEYTURN_ROOT_KEY (or KEYTURN_ROOT_KEY_FILE read into it):"
          + " it stays in this process's environment and settings, so this seal does not take it"
          + " out of memory";
    }
    if (java.nio.file.Files.exists(
        config.dataDir().resolve(Bootstrap.ROOT_KEY_FILE),
        java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return "DATA/root.key is still on disk: move it away, or a restart opens the server with it";
    }
    return "";
  }

  /** Waits on a thread of its own for shares, then builds the open part again. */
  private void awaitShares(Unsealer unsealer) {
    waiter =
        Thread.ofPlatform()
            .name("keyturn-unseal")
            .daemon()
            .start(() -> {
              RootKey key;
              try {
                key = await(unsealer);
              } catch (InterruptedException e) {
                return;
              }
              reopen(key, unsealer);
            });
  }

  private synchronized void reopen(RootKey key, Unsealer unsealer) {
    if (closed) {
      key.destroy();
      return;
    }
    try {
      Store store = JdbcStore.open(config.storeUrl(), clock);
      RootKeyFiles.Keys keys;
      try {
        keys = SealedStart.keys(store, key);
      } catch (RuntimeException e) {
        store.close();
        throw e;
      }
      OpenServer open =
          OpenServer.open(wiring, store, keys.current(), keys.next(), RootKeyRotator.Source.SHARES);
      current = open;
      held.open(open.audit());
      gate.open(open.handler());
      log.info("unsealed: the shares rebuilt root key {}", key.id());
    } catch (RuntimeException e) {
      log.error("unsealed, but the server did not open: {}", SafeFailure.describe(e));
      key.destroy();
      gate.failOpening(e);
      Unsealer again = new Unsealer(unsealer.threshold(), unsealer.keyIds(), clock);
      gate.seal(Optional.of(again));
      awaitShares(again);
    }
  }

  /** The audit log's head as a checkpoint (SEQ:MAC), if it has a record. */
  static Optional<String> auditHead(AuditLog audit) {
    return audit.head().map(h -> h.seq() + ":" + h.macHex());
  }

  public int port() {
    return port;
  }

  /** The root token if this start made it (first start only); shown once, then forgotten. */
  public Optional<String> newRootToken() {
    return newRootToken;
  }

  /** Blocks until the server stops. */
  void join() throws InterruptedException {
    http.join();
  }

  @Override
  public void close() {
    Thread pending;
    synchronized (this) {
      closed = true;
      pending = waiter;
    }
    if (pending != null) {
      pending.interrupt();
    }
    try {
      http.close();
    } finally {
      synchronized (this) {
        OpenServer open = current;
        current = null;
        try {
          if (open != null) {
            open.close();
          }
        } finally {
          presence.close();
          lock.close();
        }
      }
    }
  }
}
