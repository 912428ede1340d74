package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.backup.BackupDocument;
import dev.keyturn.backup.BackupWriter;
import dev.keyturn.backup.Restorer;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.NodeHeartbeat;
import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.StatusBoard;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.audit.LegacyTokenCreators;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.Store;
import dev.keyturn.store.ChangeEvents;
import dev.keyturn.store.ChangeFeed;
import dev.keyturn.store.JdbcStore;
import dev.keyturn.store.NodePresence;
import dev.keyturn.targets.Targets;
import io.micrometer.core.instrument.Gauge;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Keyturn server: the store, the root key, the audit log, the secret service and the
 * HTTP(S) listener, wired together. {@link #start} checks everything before it listens; {@link
 * #close} stops listening, lets requests in flight finish, flushes the audit log and closes the
 * store.
 */
public final class KeyturnServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KeyturnServer.class);

  /** How old the status board behind the {@code keyturn_secrets} gauges may be at a scrape. */
  static final Duration STATUS_GAUGES_MAX_AGE = Duration.ofSeconds(10);

  private final HttpListener http;
  private final Scheduler scheduler;
  private final IntegritySweeper sweeper;
  private final Optional<ScheduledBackups> backups;
  private final Store store;
  private final WatchHub watch;
  private final Optional<ChangeFeed> feed;
  private final AuditLog audit;
  private final Metrics metrics;
  private final StoreLock lock;
  private final NodePresence presence;
  private final int port;
  private final Optional<String> newRootToken;

  private KeyturnServer(
      HttpListener http,
      WatchHub watch,
      Optional<ChangeFeed> feed,
      Scheduler scheduler,
      IntegritySweeper sweeper,
      Optional<ScheduledBackups> backups,
      Store store,
      AuditLog audit,
      Metrics metrics,
      StoreLock lock,
      NodePresence presence,
      int port,
      Optional<String> newRootToken) {
    this.http = http;
    this.watch = watch;
    this.feed = feed;
    this.scheduler = scheduler;
    this.sweeper = sweeper;
    this.backups = backups;
    this.store = store;
    this.audit = audit;
    this.metrics = metrics;
    this.lock = lock;
    this.presence = presence;
    this.port = port;
    this.newRootToken = newRootToken;
  }

  /**
   * Names, in the log and the audit, every rule this server will not run (an inline command line
   * stored before commands were declared by the operator, or a command this configuration file does
   * not declare), with the fix. Such rules show {@code invalid} on the status board and are never
   * started, until an admin sets them again naming declared commands.
   */
  private static void suspendInvalidRules(
      RotationEngine engine, Store store, AuditLog audit, Clock clock) {
    java.util.List<dev.keyturn.core.spi.AuditEvent> events = new java.util.ArrayList<>();
    for (var entry : store.rotations().rules("", Integer.MAX_VALUE)) {
      Optional<String> why = engine.whyNotRunnable(entry.rule());
      if (why.isPresent()) {
        log.warn("rule of {} is suspended (status invalid): {}", entry.rule().secret(), why.get());
        events.add(
            new dev.keyturn.core.spi.AuditEvent(
                clock.instant(),
                "server",
                "engine",
                "rule.suspended",
                Optional.of(entry.rule().secret().value()),
                Optional.empty(),
                "failed",
                why.get()));
      }
    }
    if (!events.isEmpty()) {
      audit.append(events);
    }
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
    AuditLog audit = null;
    Metrics metrics = new Metrics();
    Scheduler scheduler = null;
    IntegritySweeper sweeper = null;
    Optional<ScheduledBackups> backups = Optional.empty();
    HttpListener http = null;
    WatchHub watch = null;
    Optional<ChangeFeed> feed = Optional.empty();
    try {
      Optional<SealedStart> sealed = Optional.empty();
      RootKey rootKey;
      if (SealedStart.applies(config)) {
        sealed = Optional.of(SealedStart.listen(config, store, clock, tls));
        http = sealed.get().http();
        rootKey = sealed.get().awaitKey();
        log.info("unsealed: the shares rebuilt root key {}", rootKey.id());
      } else {
        rootKey = Bootstrap.rootKey(store, config.dataDir(), config.rootKey(), random);
      }
      AuditChain chain = new AuditChain(rootKey);
      audit = new MeteredAuditLog(store.openAuditLog(chain), metrics.registry());
      Envelope envelope = new Envelope(rootKey, random);
      // Rows are checked (and, at the first start after the upgrade, migrated) before any is used.
      store.protect(envelope);
      Optional<String> rootToken = Bootstrap.rootToken(store, config.dataDir(), random, clock);
      int resolved = 0;
      try {
        resolved = new LegacyTokenCreators(chain).resolve(store.tokens(), audit);
      } catch (KeyturnException.IntegrityFailure e) {
        // Logged and audited where it was found. The server still starts, so that the operator
        // can see it; every request that relies on the row fails with it.
      }
      if (resolved > 0) {
        log.info(
            "looked up the creators of {} tokens made before creators were recorded", resolved);
      }
      // Reads are served from memory (metadata and ciphertexts only). The embedded store has no
      // other writer; on PostgreSQL other nodes' writes reach the cache through the change feed.
      ChangeEvents changes = ((JdbcStore) store).changeEvents();
      String node = Bootstrap.nodeId(config.dataDir(), random);
      if (changes.shared()) {
        feed = Optional.of(changes.feed(node, Duration.ofSeconds(1), ReadCache.PING_EVERY));
      }
      Store reads = ReadCache.over(store, feed, metrics.registry());
      SecretService service = new SecretService(reads, envelope, clock);
      Authenticator authenticator = new Authenticator(store.tokens(), clock);
      Notifier notifier =
          new Notifier(config.notifyUrl(), config.notifySigningSecret(), service, audit, clock);
      RotationEngine engine =
          new RotationEngine(
              service,
              store.rotations(),
              Targets.all(clock, config.hostPolicy()),
              Targets.hooks(clock, config.hostPolicy()),
              audit,
              clock,
              random,
              node,
              r -> {
                metrics.rotationEnded(r);
                log.info(
                    "rotation {} of {} ended {}{}",
                    r.id(),
                    r.secret(),
                    r.state().wireName(),
                    r.reason().map(why -> ": " + why).orElse(""));
                notifier.send(
                    "rotation." + r.state().wireName(),
                    r.secret().value(),
                    Optional.of(r.id()),
                    r.state().wireName(),
                    r.secret()
                        + ": rotation "
                        + r.state().wireName()
                        + r.reason().map(why -> " (" + why + ")").orElse(""),
                    r.reason());
              },
              config.hostPolicy());
      suspendInvalidRules(engine, store, audit, clock);
      // Published before the first rotation step, so other nodes see this node's commands.
      NodeHeartbeat heartbeat =
          new NodeHeartbeat(store.rotations(), node, config.hostPolicy(), clock);
      heartbeat.beat();
      StatusGauges gauges =
          new StatusGauges(
              new StatusBoard(store.rotations(), service, clock, engine::whyNotRunnable),
              clock,
              STATUS_GAUGES_MAX_AGE,
              metrics.registry());
      metrics.beforeScrape(gauges::refreshIfStale);
      scheduler =
          new Scheduler(
              engine,
              store.rotations(),
              store,
              audit,
              notifier,
              heartbeat,
              clock,
              Duration.ofSeconds(1),
              4);
      AuditLog audited = audit;
      backups =
          config
              .backups()
              .map(schedule ->
                  new ScheduledBackups(
                      schedule,
                      new BackupWriter(service, store.rotations()),
                      () ->
                          new BackupDocument.Header(
                              clock.instant(), node, rootKey.id(), auditHead(audited), ""),
                      audited,
                      notifier,
                      clock,
                      random,
                      metrics.registry()));
      if (backups.isEmpty()) {
        ScheduledBackups.unscheduled(metrics.registry());
      }
      Optional<ScheduledBackups> scheduled = backups;
      watch =
          new WatchHub(changes, feed, authenticator, clock, config.limits().maxStreams()).start();
      feed.ifPresent(ChangeFeed::start);
      Gauge.builder("keyturn.watch.streams", watch, WatchHub::open)
          .description("Open event streams (GET /v1/watch) on this node.")
          .register(metrics.registry());
      TrustedProxies proxies = TrustedProxies.parse(config.trustProxy());
      AuditLog opened = audit;
      RepeatedRefusals refusals =
          sealed
              .map(SealedStart::refusals)
              .orElseGet(() -> new RepeatedRefusals(opened, clock, Duration.ofMinutes(1)));
      ApiHandler handler =
          new ApiHandler(
              routes.apply(
                  Routes.table(
                      new SecretsApi(
                          service,
                          random,
                          clock,
                          new PageTokens(rootKey.derive(PageTokens.KEY_LABEL), random, clock),
                          engine::checkWrite,
                          rootKey.derive(HygieneApi.KEY_LABEL)),
                      new TokensApi(store, authenticator, clock, random),
                      new AuditApi(audit, new AuditVerifier(chain), clock),
                      new RotationsApi(
                          engine,
                          store.rotations(),
                          service,
                          clock,
                          () -> scheduled.map(ScheduledBackups::status)),
                      new WatchApi(watch),
                      new JwksApi(service, store.rotations(), clock),
                      new BackupsApi(
                          new BackupWriter(service, store.rotations()),
                          new Restorer(service, clock),
                          new dev.keyturn.core.RuleService(
                              engine, store.rotations(), service, clock, random),
                          audit,
                          () ->
                              new BackupDocument.Header(
                                  clock.instant(), node, rootKey.id(), auditHead(opened), ""),
                          clock),
                      new ConsumersApi(reads, service, clock))),
              authenticator,
              new AuthThrottle(
                  config.authFailureLimit(), Duration.ofMinutes(1), config.authLockout(), clock),
              audit,
              metrics,
              proxies,
              refusals,
              clock);
      if (sealed.isPresent()) {
        sealed.get().open(handler, audit);
      } else {
        http =
            HttpListener.start(
                config,
                new ClientLimit(
                    handler,
                    config.limits().maxRequestsPerClient(),
                    proxies,
                    audit,
                    refusals,
                    clock),
                refusals,
                tls);
      }
      scheduler.start();
      sweeper =
          new IntegritySweeper(store, notifier, clock, metrics.registry())
              .start(IntegritySweeper.FIRST, IntegritySweeper.EVERY);
      backups.ifPresent(ScheduledBackups::start);
      int port = http.port();
      log.info(
          "Keyturn listening on {}://{}:{} (store {}, root key {}, audit key {})",
          config.scheme(),
          config.host().contains(":") ? "[" + config.host() + "]" : config.host(),
          port,
          config.maskedStoreUrl(),
          rootKey.id(),
          chain.sealingKeyId());
      return new KeyturnServer(
          http, watch, feed, scheduler, sweeper, backups, store, audit, metrics, lock, presence,
          port, rootToken);
    } catch (Exception e) {
      closeFeed(feed);
      if (watch != null) {
        watch.close();
      }
      if (http != null) {
        http.close();
      }
      if (scheduler != null) {
        scheduler.close();
      }
      if (sweeper != null) {
        sweeper.close();
      }
      backups.ifPresent(ScheduledBackups::close);
      if (audit != null) {
        audit.close();
      }
      store.close();
      metrics.close();
      presence.close();
      lock.close();
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("the HTTP listener did not start: " + e.getMessage(), e);
    }
  }

  /** The audit log's head as a checkpoint (SEQ:MAC), if it has a record. */
  static Optional<String> auditHead(AuditLog audit) {
    return audit.head().map(h -> h.seq() + ":" + h.macHex());
  }

  private static void closeFeed(Optional<ChangeFeed> feed) {
    try {
      if (feed.isPresent()) {
        feed.get().close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
    try {
      closeFeed(feed);
      watch.close();
      http.close();
    } finally {
      scheduler.close();
      sweeper.close();
      backups.ifPresent(ScheduledBackups::close);
      audit.close();
      store.close();
      metrics.close();
      presence.close();
      lock.close();
    }
  }
}
