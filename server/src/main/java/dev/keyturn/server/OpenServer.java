package dev.keyturn.server;

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
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.Store;
import dev.keyturn.store.ChangeEvents;
import dev.keyturn.store.ChangeFeed;
import dev.keyturn.store.JdbcStore;
import dev.keyturn.targets.Targets;
import io.micrometer.core.instrument.Gauge;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything of a running server that is built from the root key: the store with its metadata key,
 * the audit log and its chain key, the envelope, the secret service with its cache of unwrapped
 * data keys, the scheduler, the integrity sweeper, the watch hub and the API handler. {@link
 * #close} stops all of it and zeroes every key it holds (the root key, the audit chain key, the
 * metadata key, the data key cache), after which no live object of it holds key material: {@code
 * seal} drops it whole, and unsealing builds a new one.
 */
final class OpenServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OpenServer.class);

  /**
   * Rotations the scheduler runs at once. A rotation mostly waits (on its target, or on the store's
   * group commit, whose groups grow with the writers waiting for it), so more of them than cores
   * fill both: 10,000 due rotations with target none drain at about 1,000/s on 2 cores with 32
   * against about 700/s with 8 (bench/rotate.sh). Threads exist only while rotations run.
   */
  static final int ROTATION_WORKERS = 32;

  private final Store store;
  private final AuditLog audit;
  private final AuditChain chain;
  private final Envelope envelope;
  private final SecretService service;
  private final Metrics metrics;
  private final Scheduler scheduler;
  private final IntegritySweeper sweeper;
  private final Optional<ScheduledBackups> backups;
  private final WatchHub watch;
  private final Optional<ChangeFeed> feed;
  private final ApiHandler handler;
  private final RootKeyRotator rotator;

  private OpenServer(
      Store store,
      AuditLog audit,
      AuditChain chain,
      Envelope envelope,
      SecretService service,
      Metrics metrics,
      Scheduler scheduler,
      IntegritySweeper sweeper,
      Optional<ScheduledBackups> backups,
      WatchHub watch,
      Optional<ChangeFeed> feed,
      ApiHandler handler,
      RootKeyRotator rotator) {
    this.store = store;
    this.audit = audit;
    this.chain = chain;
    this.envelope = envelope;
    this.service = service;
    this.metrics = metrics;
    this.scheduler = scheduler;
    this.sweeper = sweeper;
    this.backups = backups;
    this.watch = watch;
    this.feed = feed;
    this.handler = handler;
    this.rotator = rotator;
  }

  /** What the API's seal route calls, and how the answer of each start names the node. */
  record Wiring(
      ServerConfig config,
      Clock clock,
      SecureRandom random,
      UnaryOperator<List<Route>> routes,
      RepeatedRefusals refusals,
      TrustedProxies proxies,
      SealApi seal,
      String node) {}

  /**
   * Builds the API on {@code store} with {@code rootKey}, which it owns from now on (its {@link
   * #close} destroys it; so does a failure here). On failure the store is closed too.
   */
  static OpenServer open(Wiring w, Store store, RootKey rootKey) {
    return open(w, store, rootKey, Optional.empty(), RootKeyRotator.Source.SHARES);
  }

  /**
   * As {@link #open(Wiring, Store, RootKey)}, with the new key of a root key rotation in progress
   * ({@code next}, which it owns too) and where the root key came from; resumes that rotation.
   */
  static OpenServer open(
      Wiring w,
      Store store,
      RootKey rootKey,
      Optional<RootKey> next,
      RootKeyRotator.Source source) {
    AuditLog audit = null;
    AuditChain chain = null;
    Envelope envelope = null;
    Metrics metrics = new Metrics();
    Scheduler scheduler = null;
    IntegritySweeper sweeper = null;
    Optional<ScheduledBackups> backups = Optional.empty();
    WatchHub watch = null;
    Optional<ChangeFeed> feed = Optional.empty();
    ServerConfig config = w.config();
    Clock clock = w.clock();
    SecureRandom random = w.random();
    RootKeyRotator rotator = null;
    try {
      AuditKeys.Opened keys = AuditKeys.open(store.settings(), rootKey, next, random);
      envelope = keys.envelope();
      chain = keys.chain();
      audit = new MeteredAuditLog(store.openAuditLog(chain), metrics.registry());
      // Rows are checked (and, at the first start after the upgrade, migrated) before any is used.
      store.protect(envelope);
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
      if (changes.shared()) {
        feed = Optional.of(changes.feed(w.node(), Duration.ofSeconds(1), ReadCache.PING_EVERY));
      }
      dev.keyturn.core.spi.CachingStore reads = ReadCache.over(store, feed, metrics.registry());
      rotator =
          new RootKeyRotator(
              (JdbcStore) store,
              envelope,
              chain,
              config.dataDir(),
              source,
              reads::invalidateAll,
              clock,
              random,
              w.node(),
              config.unsealShares());
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
              w.node(),
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
          new NodeHeartbeat(store.rotations(), w.node(), config.hostPolicy(), clock);
      heartbeat.beat();
      StatusGauges gauges =
          new StatusGauges(
              new StatusBoard(store.rotations(), service, clock, engine::whyNotRunnable),
              clock,
              KeyturnServer.STATUS_GAUGES_MAX_AGE,
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
              ROTATION_WORKERS);
      AuditLog audited = audit;
      Envelope wrapping = envelope;
      backups =
          config
              .backups()
              .map(schedule ->
                  new ScheduledBackups(
                      schedule,
                      new BackupWriter(service, store.rotations()),
                      () ->
                          new BackupDocument.Header(
                              clock.instant(),
                              w.node(),
                              wrapping.rootKeyId(),
                              KeyturnServer.auditHead(audited),
                              ""),
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
      AuditLog opened = audit;
      ApiHandler handler =
          new ApiHandler(
              w.routes()
                  .apply(
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
                                      clock.instant(),
                                      w.node(),
                                      wrapping.rootKeyId(),
                                      KeyturnServer.auditHead(opened),
                                      ""),
                              clock),
                          new ConsumersApi(reads, service, clock, notifier),
                          w.seal(),
                          new RootKeyApi(rotator))),
              authenticator,
              new AuthThrottle(
                  config.authFailureLimit(), Duration.ofMinutes(1), config.authLockout(), clock),
              audit,
              metrics,
              w.proxies(),
              w.refusals(),
              clock,
              config.ui() ? Optional.of(new UiSessions(clock, random)) : Optional.empty());
      scheduler.start();
      sweeper =
          new IntegritySweeper(store, notifier, clock, metrics.registry())
              .start(IntegritySweeper.FIRST, IntegritySweeper.EVERY);
      backups.ifPresent(ScheduledBackups::start);
      log.info("root key {}, audit key {}", envelope.rootKeyId(), chain.sealingKeyId());
      dev.keyturn.core.RootKeyChange.parse(
              store.settings().setting(dev.keyturn.core.RootKeyChange.SETTING))
          .ifPresent(rotator::resume);
      return new OpenServer(
          store, audit, chain, envelope, service, metrics, scheduler, sweeper, backups, watch, feed,
          handler, rotator);
    } catch (RuntimeException e) {
      if (rotator != null) {
        rotator.close();
      }
      backups.ifPresent(ScheduledBackups::close);
      stop(feed, watch, scheduler, sweeper, audit, store, metrics);
      destroy(rootKey, envelope, chain, null);
      next.ifPresent(RootKey::destroy);
      throw e;
    }
  }

  ApiHandler handler() {
    return handler;
  }

  AuditLog audit() {
    return audit;
  }

  Store store() {
    return store;
  }

  /** The root key that wraps new keys (the new one, once a rotation began). */
  String rootKeyId() {
    return envelope.rootKeyId();
  }

  /** Ends the event streams now (they would hold a seal back), before requests drain. */
  void closeStreams() {
    watch.close();
  }

  /** Stops everything, flushes the audit log, closes the store and zeroes every key held. */
  @Override
  public void close() {
    try {
      rotator.close();
      backups.ifPresent(ScheduledBackups::close);
      stop(feed, watch, scheduler, sweeper, audit, store, metrics);
    } finally {
      destroy(null, envelope, chain, service);
    }
  }

  private static void stop(
      Optional<ChangeFeed> feed,
      WatchHub watch,
      Scheduler scheduler,
      IntegritySweeper sweeper,
      AuditLog audit,
      Store store,
      Metrics metrics) {
    try {
      if (feed.isPresent()) {
        feed.get().close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (watch != null) {
        watch.close();
      }
    } finally {
      try {
        if (scheduler != null) {
          scheduler.close();
        }
        if (sweeper != null) {
          sweeper.close();
        }
        if (audit != null) {
          audit.close();
        }
      } finally {
        store.close();
        metrics.close();
      }
    }
  }

  private static void destroy(
      RootKey rootKey, Envelope envelope, AuditChain chain, SecretService service) {
    if (service != null) {
      service.dropKeys();
    }
    if (envelope != null) {
      envelope.destroy();
    }
    if (rootKey != null) {
      rootKey.destroy();
    }
    if (chain != null) {
      chain.destroy();
    }
  }

  /**
   * Names, in the log and the audit, every rule this server will not run (an inline command line
   * stored before commands were declared by the operator, or a command this configuration file does
   * not declare), with the fix. Such rules show {@code invalid} on the status board and are never
   * started, until an admin sets them again naming declared commands.
   */
  private static void suspendInvalidRules(
      RotationEngine engine, Store store, AuditLog audit, Clock clock) {
    List<AuditEvent> events = new ArrayList<>();
    for (var entry : store.rotations().rules("", Integer.MAX_VALUE)) {
      Optional<String> why = engine.whyNotRunnable(entry.rule());
      if (why.isPresent()) {
        log.warn("rule of {} is suspended (status invalid): {}", entry.rule().secret(), why.get());
        events.add(
            new AuditEvent(
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
}
