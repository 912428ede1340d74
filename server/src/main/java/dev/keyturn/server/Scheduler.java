package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.Store;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's background work, once per {@code interval}: runs the steps of unfinished rotations
 * that are due (which resumes every rotation a crash interrupted, from its persisted step), starts
 * rotations whose rules are due (indexed queries, not scans), and retires previous versions whose
 * grace window has ended. Rotations run on a bounded pool, whose threads exist only while there is
 * work; when a tick found a full batch of anything, the next one follows at once instead of after
 * the interval, so a backlog (every rule of a fleet due on one day, or after an outage) drains at
 * the store's pace rather than one batch per interval. A pass waits for the rotations it handed out
 * for {@link #PASS_WAIT} at most: one whose step takes longer (a table's re-encryption, a slow
 * target) goes on beside the next passes, which never hand out work for its secret again meanwhile.
 */
final class Scheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

  /** The most rotations, starts and retirements one pass takes on. */
  static final int BATCH = 200;

  /** How long the rule of a secret without a value waits before it is looked at again. */
  static final Duration DORMANT_CHECK = Duration.ofHours(1);

  private final RotationEngine engine;
  private final RotationStore rotations;
  private final ScheduledRetirements retirements;
  private final OverdueAnnouncements overdue;
  private final dev.keyturn.core.spi.SecretStore secrets;
  private final dev.keyturn.core.NodeHeartbeat heartbeat;

  /**
   * Pages of due rules one pass reads at most, when it cannot start those it reads; and pages of
   * overdue rules, to announce.
   */
  private static final int DUE_PAGES = 5;

  /** The due rule the last pass stopped after; the next pass reads on from it (loop thread). */
  private Optional<RotationStore.RuleEntry> dueFrom = Optional.empty();

  private final Clock clock;
  private final java.security.SecureRandom random = new java.security.SecureRandom();
  private final Duration interval;

  /** How long a rotation thread waits for work before it ends (an idle server holds none). */
  private static final Duration IDLE_WORKER = Duration.ofSeconds(30);

  /** How long a pass waits at most for the rotations it handed to the workers. */
  static final Duration PASS_WAIT = Duration.ofSeconds(10);

  private final Duration passWait;

  /**
   * The secrets whose start or steps are with the workers now, queued or running: a rotation whose
   * step takes long (a table's re-encryption, a slow target) goes on beside the next passes, which
   * must not hand it out again.
   */
  private final java.util.Set<SecretName> handedOut =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final ThreadPoolExecutor workers;
  private final Thread loop;
  private volatile boolean stopping;

  Scheduler(
      RotationEngine engine,
      RotationStore rotations,
      Store store,
      AuditLog audit,
      Notifier notifier,
      dev.keyturn.core.NodeHeartbeat heartbeat,
      Clock clock,
      Duration interval,
      int concurrency) {
    this(
        engine,
        rotations,
        store,
        audit,
        notifier,
        heartbeat,
        clock,
        interval,
        concurrency,
        PASS_WAIT);
  }

  /**
   * @param passWait how long a pass waits at most for the rotations it handed out; those still
   *     running then go on beside the next passes
   */
  Scheduler(
      RotationEngine engine,
      RotationStore rotations,
      Store store,
      AuditLog audit,
      Notifier notifier,
      dev.keyturn.core.NodeHeartbeat heartbeat,
      Clock clock,
      Duration interval,
      int concurrency,
      Duration passWait) {
    this.passWait = requireNonNull(passWait, "passWait");
    this.heartbeat = requireNonNull(heartbeat, "heartbeat");
    this.engine = requireNonNull(engine, "engine");
    this.rotations = requireNonNull(rotations, "rotations");
    this.retirements = new ScheduledRetirements(engine, store, audit, clock, BATCH);
    this.secrets = store.secrets();
    this.overdue =
        new OverdueAnnouncements(
            rotations, notifier, this::deleted, DORMANT_CHECK, clock, BATCH, DUE_PAGES);
    this.clock = requireNonNull(clock, "clock");
    this.interval = requireNonNull(interval, "interval");
    this.workers =
        new ThreadPoolExecutor(
            concurrency,
            concurrency,
            IDLE_WORKER.toMillis(),
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            Thread.ofPlatform().name("keyturn-rotation-", 0).daemon(true).factory());
    workers.allowCoreThreadTimeOut(true);
    this.loop = Thread.ofPlatform().name("keyturn-scheduler").daemon(true).unstarted(this::run);
  }

  void start() {
    loop.start();
  }

  private void run() {
    while (!stopping) {
      boolean more = false;
      try {
        more = tick();
      } catch (RuntimeException e) {
        log.warn("scheduler tick failed: {}", SafeFailure.describe(e));
      }
      if (more && !Thread.currentThread().isInterrupted()) {
        continue;
      }
      try {
        Thread.sleep(interval.toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * One pass: publish this node, resume due steps, start due rules, retire expired previous
   * versions.
   *
   * @return whether a query of this pass was cut at its batch and moved something: more work may be
   *     due at once
   */
  boolean tick() {
    heartbeat.beat();
    List<Future<?>> work = new ArrayList<>();
    List<Rotation> runnable = rotations.runnable(clock.instant(), BATCH);
    for (Rotation r : runnable) {
      handOut(r.secret(), () -> runDue(r.id())).ifPresent(work::add);
    }
    List<Future<Boolean>> starts = new ArrayList<>();
    try {
      startDueRules(starts);
    } catch (RuntimeException e) {
      // The due query failed (the store is down, or it refuses a rule row edited outside
      // Keyturn): the steps already handed out are waited for, and expired versions still retired.
      log.warn("cannot read the due rules: {}", SafeFailure.describe(e));
    }
    // Only rotations that did start and did not fail at once count: a rule whose start fails (its
    // secret was deleted, say: it is postponed an hour) or whose rotation fails at once (its target
    // refuses the login) comes back, and a batch of nothing but them must not spin.
    // A rotation still running at the deadline (a long step) goes on beside the next passes.
    int started = 0;
    long deadline = System.nanoTime() + passWait.toNanos();
    try {
      for (Future<?> f : work) {
        await(f, deadline);
      }
      for (Future<Boolean> f : starts) {
        if (await(f, deadline).orElse(false)) {
          started++;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    boolean moreToRetire = retirements.pass();
    overdue.pass();
    // Only a full batch that moved something: secrets skipped (manual rules, suspended ones,
    // revocations that keep failing) come back, and a batch of nothing but them must not spin.
    return started >= BATCH || moreToRetire;
  }

  /**
   * What {@code f} returned, once it is done; empty when it threw (logged) or is not done by {@code
   * deadline} ({@link System#nanoTime}).
   */
  private static <T> Optional<T> await(Future<T> f, long deadline) throws InterruptedException {
    try {
      return Optional.ofNullable(
          f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
    } catch (java.util.concurrent.ExecutionException e) {
      log.warn("rotation step failed: {}", SafeFailure.describe(e.getCause()));
      return Optional.empty();
    } catch (java.util.concurrent.TimeoutException e) {
      return Optional.empty();
    }
  }

  /**
   * Hands {@code task} for {@code secret} to the workers, unless work for that secret is with them
   * still; empty then.
   */
  private <T> Optional<Future<T>> handOut(
      SecretName secret, java.util.concurrent.Callable<T> task) {
    if (!handedOut.add(secret)) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          workers.submit(() -> {
            try {
              return task.call();
            } finally {
              handedOut.remove(secret);
            }
          }));
    } catch (RuntimeException e) {
      handedOut.remove(secret); // refused: the scheduler is closing
      throw e;
    }
  }

  /**
   * Submits the rotations of up to a batch of due rules to the workers, each future telling whether
   * its rotation started. The pages of due rules are read from where the pass before stopped, so
   * that rules this node cannot start (manual ones, suspended ones, those whose rotation runs or
   * waits) never hold up the ones behind them, however many there are: each is looked at again once
   * the pages came round.
   */
  private void startDueRules(List<Future<Boolean>> work) {
    int submitted = 0;
    for (int pages = 0; pages < DUE_PAGES && submitted < BATCH; pages++) {
      java.time.Instant now = clock.instant();
      List<RotationStore.RuleEntry> page =
          dueFrom.isEmpty()
              ? rotations.dueRules(now, BATCH)
              : rotations.dueRulesAfter(now, dueFrom.get(), BATCH);
      for (RotationStore.RuleEntry due : page) {
        if (submitDue(due, work)) {
          submitted++;
        }
      }
      if (page.size() < BATCH) {
        dueFrom = Optional.empty(); // the last page: the next one is the first again
        break;
      }
      dueFrom = Optional.of(page.get(page.size() - 1));
    }
  }

  /**
   * Submits the rotation of {@code due} to the workers, unless it must wait; true if it did. The
   * future tells whether the rotation started.
   */
  private boolean submitDue(RotationStore.RuleEntry due, List<Future<Boolean>> work) {
    SecretName name = due.rule().secret();
    if (due.rule().strategy() == Strategy.MANUAL
        || rotations.active(name).isPresent()
        || engine.whyNotRunnable(due.rule()).isPresent()) {
      // A person supplies manual values; a running rotation finishes first; a suspended rule
      // (logged and audited at start) waits for an admin to set it again.
      return false;
    }
    Optional<Schedule> schedule = due.rule().schedule();
    if (schedule.isPresent() && !schedule.get().isOpen(clock.instant())) {
      // Due while its window was closed (the server was down): it starts in the next opening.
      rotations.setStartAt(name, schedule.get().nextOpening(clock.instant(), random));
      return false;
    }
    Optional<Future<Boolean>> start = handOut(name, () -> startDue(name));
    start.ifPresent(work::add);
    return start.isPresent();
  }

  /**
   * Whether {@code name} was deleted (keyturn rm: every version retired), as the status board says;
   * its rule waits for a value, quietly. False when it cannot tell (the row fails its integrity
   * check, or the store is down): that is reported where it happens.
   */
  private boolean deleted(SecretName name) {
    try {
      return secrets.find(name).map(s -> s.versions().allRetired()).orElse(false);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Moves the start of {@code name}'s rule {@link #DORMANT_CHECK} on: a rule whose secret has no
   * current value (deleted, or only pending) is looked at again then, not at every pass. Once a
   * value is put, the rule rotates it at that look.
   */
  private void postpone(SecretName name) {
    try {
      rotations.setStartAt(name, Optional.of(clock.instant().plus(DORMANT_CHECK)));
    } catch (RuntimeException e) {
      // The rule went meanwhile, or its row is refused: the next pass meets it again.
      log.debug("cannot move the start of {}: {}", name, SafeFailure.describe(e));
    }
  }

  /** Runs the due steps of rotation {@code id}, unless close() began while it was queued. */
  private Void runDue(String id) {
    if (!stopping) {
      engine.runDue(id);
    }
    return null;
  }

  /**
   * Starts and runs the due rotation of {@code name}; whether that moved it on: false when this
   * node did not start it, or when it failed at once (the engine then moves the rule's start on),
   * or when the secret has no current version (its rule is postponed an hour).
   */
  private boolean startDue(SecretName name) {
    if (stopping) {
      return false; // queued when close() began: the store may be gone before it would end
    }
    Rotation rotation;
    try {
      rotation = engine.startToRun(name, Optional.empty(), false, Optional.empty(), "scheduler");
    } catch (KeyturnException.RotationInProgress e) {
      return false; // another node started it first
    } catch (KeyturnException.NotFound e) {
      // No current version to rotate: looked at again in an hour, not at every pass.
      if (!deleted(name)) {
        log.warn(
            "cannot start the due rotation of {}: {}; it is tried again in {}",
            name,
            e.getMessage(),
            DORMANT_CHECK);
      }
      postpone(name);
      return false;
    } catch (KeyturnException e) {
      log.warn("cannot start the due rotation of {}: {}", name, e.getMessage());
      return false;
    }
    try {
      return engine.runDue(rotation.id()).state() != RotationState.FAILED;
    } catch (KeyturnException e) {
      log.warn("cannot start the due rotation of {}: {}", name, e.getMessage());
      return true; // started: it waits as an active rotation
    }
  }

  @Override
  public void close() {
    stopping = true;
    loop.interrupt();
    try {
      loop.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.shutdown();
    try {
      workers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      heartbeat.leave();
    } catch (RuntimeException e) {
      // The store may be gone already; the row then ages out after NodeRecord.LIVE.
      log.warn("cannot remove this node from the nodes table: {}", SafeFailure.describe(e));
    }
  }
}
