package dev.keyturn.client;

import com.zaxxer.hikari.HikariConfig;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The pools behind a {@link RotatingDataSource}: the active one, which serves new connections, and
 * older ones that drain. Refreshes, drain checks and heartbeats run on one daemon thread of its
 * own; a refresh forced by an authentication failure runs on the caller's thread. Thread-safe.
 */
final class RotatingPools implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(RotatingDataSource.class.getName());

  /** How long a pool keeps draining before it may close, whatever it holds: late borrowers. */
  static final Duration SETTLE = Duration.ofSeconds(2);

  private static final Duration DRAIN_CHECK = Duration.ofMillis(100);

  private final CredentialSource source;
  private final Consumer<HikariConfig> settings;
  private final Duration drainTimeout;
  private final Duration heartbeat;
  private final String consumerId;
  private final String consumerName;
  private final Clock clock;
  private final Object switching = new Object();
  private final Object stateLock = new Object();
  private final Set<Integer> refused = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService worker;
  private volatile State state = new State(null, List.of());
  private volatile int failed;
  private volatile boolean registered;
  private volatile boolean closed;

  RotatingPools(
      CredentialSource source,
      Consumer<HikariConfig> settings,
      Duration drainTimeout,
      Duration heartbeat,
      String consumerId,
      String consumerName,
      Clock clock) {
    this.source = source;
    this.settings = settings;
    this.drainTimeout = drainTimeout;
    this.heartbeat = heartbeat;
    this.consumerId = consumerId;
    this.consumerName = consumerName;
    this.clock = clock;
    this.worker =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "keyturn-datasource");
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * Opens the first pool, registers the consumer and starts following the secret.
   *
   * @throws IllegalArgumentException when the secret is not a database credential (naming the
   *     field)
   * @throws SQLException when the first pool fails validation
   */
  void start() throws SQLException {
    CredentialSource.Current current = source.current();
    DatabaseLogin login = DatabaseLogin.parse(source.secret(), current.version(), current.value());
    state = new State(LoginPool.open(login, settings), List.of());
    try {
      heartbeatOrThrow();
      source.follow(() -> submit(() -> refresh(false)));
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    long every = heartbeat.toMillis();
    worker.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
    LOG.log(Level.INFO, "{0}: serving {1}", source.secret(), login);
  }

  /** A connection of the active pool; on an authentication failure, re-reads the secret once. */
  Connection connection() throws SQLException {
    LoginPool pool = state.active();
    try {
      return pool.connection();
    } catch (SQLException e) {
      if (closed) {
        throw e;
      }
      if (pool != state.active()) {
        return state.active().connection(); // switched and drained while this thread reached it
      }
      if (!AuthFailures.is(e)) {
        throw e;
      }
      LOG.log(
          Level.WARNING,
          "{0}#{1}: the database refused the login; reading the secret again",
          source.secret(),
          pool.version());
      refresh(true);
      return state.active().connection();
    }
  }

  /** The version the active pool connects with. */
  int activeVersion() {
    return state.active().version();
  }

  /** Versions of pools still open (active first, then draining ones, newest first). */
  List<Integer> openVersions() {
    return state.versions();
  }

  /** The pools, replaced whole on every change so that readers see one consistent picture. */
  private record State(LoginPool active, List<LoginPool> draining) {
    List<Integer> versions() {
      List<Integer> versions = new ArrayList<>();
      versions.add(active.version());
      draining.stream()
          .map(LoginPool::version)
          .sorted(Comparator.reverseOrder())
          .forEach(versions::add);
      return versions;
    }

    /** The version its oldest open pool connects with: the first draining one, else the active. */
    int using() {
      return draining.isEmpty() ? active.version() : draining.get(0).version();
    }
  }

  /**
   * Reads the current version and, when it is not the active one, opens, checks and switches to a
   * pool for it. A version whose pool failed is tried again only when {@code forced}.
   */
  void refresh(boolean forced) {
    synchronized (switching) {
      if (closed) {
        return;
      }
      CredentialSource.Current current;
      try {
        current = source.current();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "{0}: cannot read the secret: {1}", source.secret(), e.getMessage());
        return;
      }
      int version = current.version();
      if (version == state.active().version() || (!forced && refused.contains(version))) {
        return;
      }
      LoginPool next;
      try {
        DatabaseLogin login = DatabaseLogin.parse(source.secret(), version, current.value());
        next = LoginPool.open(login, settings);
      } catch (IllegalArgumentException | SQLException e) {
        refused.add(version);
        failed = version;
        LOG.log(
            Level.WARNING,
            "{0}#{1}: not switching, the old pool keeps serving: {2}",
            source.secret(),
            version,
            AuthFailures.describe(e));
        sendHeartbeat(); // reports it as failed: the status board and notifications show it
        return;
      }
      LoginPool old;
      synchronized (stateLock) {
        old = state.active();
        List<LoginPool> draining = new ArrayList<>(state.draining());
        draining.add(old);
        state = new State(next, List.copyOf(draining));
      }
      failed = 0;
      old.startDraining(clock.instant());
      LOG.log(
          Level.INFO,
          "{0}: switched to {1}; #{2} drains",
          source.secret(),
          next.login(),
          old.version());
    }
    sendHeartbeat();
    submit(this::drain);
  }

  private void tick() {
    refresh(false);
    sendHeartbeat();
  }

  /** Closes draining pools whose connections all came back, or whose drain timed out. */
  private void drain() {
    Instant now = clock.instant();
    boolean closedOne = false;
    for (LoginPool pool : state.draining()) {
      Instant since = pool.drainingSince();
      if (since == null) {
        continue; // switched a moment ago; its drain task follows
      }
      Duration settle = SETTLE.compareTo(drainTimeout) < 0 ? SETTLE : drainTimeout;
      boolean settled = !now.isBefore(since.plus(settle));
      boolean timedOut = !now.isBefore(since.plus(drainTimeout));
      if (settled && (pool.borrowed() == 0 || timedOut)) {
        if (pool.borrowed() > 0) {
          LOG.log(
              Level.WARNING,
              "{0}#{1}: drain timed out after {2} s; closing {3} borrowed connections",
              source.secret(),
              pool.version(),
              drainTimeout.toSeconds(),
              pool.borrowed());
        }
        pool.close();
        synchronized (stateLock) {
          List<LoginPool> draining = new ArrayList<>(state.draining());
          draining.remove(pool);
          state = new State(state.active(), List.copyOf(draining));
        }
        closedOne = true;
        LOG.log(Level.INFO, "{0}#{1}: drained and closed", source.secret(), pool.version());
      }
    }
    if (closedOne) {
      sendHeartbeat();
    }
    if (!state.draining().isEmpty() && !closed) {
      worker.schedule(this::drain, DRAIN_CHECK.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Tells Keyturn what this DataSource holds. It still connects with the oldest version whose pool
   * is open (its borrowed connections are that user's), so that one is {@code using} until it has
   * drained: an alternating-users rotation then leaves that user's password alone until then.
   */
  private void sendHeartbeat() {
    try {
      heartbeatOrThrow();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "{0}: heartbeat failed: {1}", source.secret(), e.getMessage());
    }
  }

  private void heartbeatOrThrow() {
    if (closed) {
      return;
    }
    State now = state;
    source.heartbeat(
        consumerId, consumerName, now.using(), now.versions(), failed, heartbeat.multipliedBy(3));
    registered = true;
  }

  private void submit(Runnable task) {
    if (closed) {
      return;
    }
    try {
      worker.execute(() -> {
        try {
          task.run();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "{0}: {1}", source.secret(), e.getMessage());
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  /** Stops following, departs as a consumer and closes every pool. */
  @Override
  public void close() {
    synchronized (switching) {
      if (closed) {
        return;
      }
      closed = true;
    }
    worker.shutdownNow();
    source.close();
    if (registered) {
      try {
        source.depart(consumerId);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "{0}: could not depart: {1}", source.secret(), e.getMessage());
      }
    }
    State last = state;
    for (LoginPool pool : last.draining()) {
      pool.close();
    }
    if (last.active() != null) {
      last.active().close();
    }
  }
}
