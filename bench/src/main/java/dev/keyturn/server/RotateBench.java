package dev.keyturn.server;

import dev.keyturn.core.Generator;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.NodeHeartbeat;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.CachingStore;
import dev.keyturn.core.spi.Store;
import dev.keyturn.store.JdbcStore;
import dev.keyturn.targets.NoneTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Rotations per second for many secrets with target {@code none} on the embedded store (SQLite,
 * WAL, synchronous=FULL), with the audit log on, run as a server runs them: every rule is due, and
 * the server's {@link Scheduler} (its loop, batches and rotation workers) starts each rotation and
 * runs create, set, test and finish, each step persisted and audited, on a store with its integrity
 * protection on (a MAC and a generation per row). Run by bench/rotate.sh, with the server's JVM
 * flags.
 *
 * <p>Usage: {@code RotateBench [SECRETS] [WORKERS] [PASSES]}; WORKERS defaults to the server's
 * {@link OpenServer#ROTATION_WORKERS}.
 */
public final class RotateBench {
  private RotateBench() {}

  /** How far the clock moves between passes: past the rules' 90 days, so all are due again. */
  private static final Duration PASS = Duration.ofDays(100);

  public static void main(String[] args) throws Exception {
    int secrets = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int workers = args.length > 1 ? Integer.parseInt(args[1]) : OpenServer.ROTATION_WORKERS;
    int passes = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    Path dir = Files.createTempDirectory("keyturn-rotate-bench");
    MovedClock clock = new MovedClock();
    SecureRandom random = new SecureRandom();
    JdbcStore jdbc = JdbcStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), clock);
    RootKey root = RootKey.generate(random);
    Envelope envelope = new Envelope(root, random);
    // As a server opens its store: the audit log first, then every row written with its MAC and
    // generation, checked on read.
    AuditLog audit = jdbc.openAuditLog(new AuditChain(root));
    jdbc.protect(envelope);
    Store store = new CachingStore(jdbc, 100_000);
    SecretService service = new SecretService(store, envelope, clock);
    AtomicInteger finished = new AtomicInteger();
    RotationEngine engine =
        new RotationEngine(
            service,
            store.rotations(),
            Map.of(NoneTarget.TYPE, new NoneTarget()),
            Map.of(),
            audit,
            clock,
            random,
            "node-bench",
            r -> {
              if (r.state() == RotationState.FINISHED) {
                finished.incrementAndGet();
              }
            });
    ExecutorService setup = Executors.newFixedThreadPool(8);
    List<SecretName> names = new ArrayList<>();
    for (int i = 0; i < secrets; i++) {
      names.add(SecretName.of("bench/app" + (i % 100) + "/SECRET_" + i));
    }
    // Every rule is due now: the first pass starts all of them.
    Instant due = clock.instant();
    runAll(
        setup,
        names,
        name -> {
          service.inTransaction(w ->
              service.put(
                  w,
                  name,
                  Plaintext.ofUtf8("initial"),
                  ValueType.STRING,
                  Duration.ZERO,
                  Stage.CURRENT,
                  "bench"));
          store
              .rotations()
              .putRule(
                  new RotationRule(
                      name,
                      Generator.parse("hex:32"),
                      Optional.of(Schedule.of("90d", "UTC")),
                      Duration.ofHours(24),
                      Strategy.OVERLAP,
                      Duration.ZERO,
                      "none",
                      Map.of(),
                      "bench",
                      "",
                      "",
                      5,
                      Duration.ofSeconds(1),
                      java.util.List.of(),
                      Optional.empty(),
                      false,
                      false),
                  Optional.of(due));
        });
    // Pass 1 is the first rotations of a fresh JVM, C2 compiling beside them; each later pass
    // moves the clock past the rules' 90 days, so the same secrets are due again, as in a server
    // that has been running. Both are printed.
    for (int pass = 1; pass <= passes; pass++) {
      if (pass > 1) {
        clock.move(PASS);
        // The grace windows of the pass before have ended: a server retires those versions a day
        // after each rotation, not in the rotations' burst, so they go before the clock starts.
        long retireStart = System.nanoTime();
        AtomicInteger retired = new AtomicInteger();
        runAll(
            setup, names, name -> retired.addAndGet(engine.retireExpired(name).changes().size()));
        System.out.printf(
            "before pass %d: retired %d expired previous versions in %.1f s (not measured)%n",
            pass, retired.get(), (System.nanoTime() - retireStart) / 1e9);
      }
      Scheduler scheduler =
          new Scheduler(
              engine,
              store.rotations(),
              store,
              audit,
              new Notifier(Optional.empty(), Optional.empty(), service, audit, clock),
              new NodeHeartbeat(store.rotations(), "node-bench", HostPolicy.none(), clock),
              clock,
              Duration.ofSeconds(1),
              workers);
      measure(pass, scheduler, finished, secrets, workers);
    }
    setup.shutdown();
    audit.close();
    store.close();
  }

  private static void measure(
      int pass, Scheduler scheduler, AtomicInteger finished, int secrets, int workers)
      throws Exception {
    int before = finished.get();
    // Steadier than the rate on a loaded machine: this process's CPU time per rotation.
    var os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    Map<String, Long> groupsStart = threadGroupCpu();
    long cpuStart = os.getProcessCpuTime();
    long start = System.nanoTime();
    long deadline = start + Duration.ofMinutes(10).toNanos();
    scheduler.start();
    while (finished.get() - before < secrets && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpuMillis = (os.getProcessCpuTime() - cpuStart) / 1e6;
    Map<String, Long> groupsEnd = threadGroupCpu();
    scheduler.close();
    int done = finished.get() - before;
    System.out.printf(
        "pass %d (%s): the scheduler rotated %d of %d due secrets (target none, SQLite, audited)"
            + " in %.1f s with %d rotation workers: %.0f rotations/s%n",
        pass,
        pass == 1 ? "a fresh JVM" : "the same secrets due again, same process",
        done,
        secrets,
        seconds,
        workers,
        done / seconds);
    System.out.printf(
        "process CPU time per rotation: %.2f ms (all threads, SQLite included)%n",
        cpuMillis / Math.max(1, done));
    StringBuilder rest = new StringBuilder();
    double listed = 0;
    for (Map.Entry<String, Long> group : groupsEnd.entrySet()) {
      double millis = (group.getValue() - groupsStart.getOrDefault(group.getKey(), 0L)) / 1e6;
      if (millis < 0.01 * done) {
        continue;
      }
      listed += millis;
      rest.append(String.format(" %s %.2f ms;", group.getKey(), millis / Math.max(1, done)));
    }
    System.out.printf(
        "  by thread (/proc, 10 ms ticks; threads that ended: %.2f ms):%s%n",
        Math.max(0, cpuMillis - listed) / Math.max(1, done), rest);
    if (done < secrets) {
      throw new IllegalStateException(
          "only " + done + " of " + secrets + " rotations finished within 10 minutes");
    }
  }

  /** The system clock, moved forward by the passes; its copies in other zones move with it. */
  private static final class MovedClock extends Clock {
    private final ZoneId zone;
    private final java.util.concurrent.atomic.AtomicReference<Duration> moved;

    MovedClock() {
      this(ZoneOffset.UTC, new java.util.concurrent.atomic.AtomicReference<>(Duration.ZERO));
    }

    private MovedClock(ZoneId zone, java.util.concurrent.atomic.AtomicReference<Duration> moved) {
      this.zone = zone;
      this.moved = moved;
    }

    void move(Duration by) {
      moved.updateAndGet(d -> d.plus(by));
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(moved.get());
    }

    @Override
    public ZoneId getZone() {
      return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return new MovedClock(zone, moved);
    }
  }

  /**
   * CPU time so far (ns) of this process's live threads from /proc, grouped by name with digits
   * dropped ("C2 CompilerThre", "GC Thread#", ...): the JVM's own threads too, which the thread
   * bean does not list. Empty where /proc is not there.
   */
  private static Map<String, Long> threadGroupCpu() {
    Map<String, Long> out = new java.util.TreeMap<>();
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return out;
    }
    try (var stream = Files.list(tasks)) {
      for (Path task : stream.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          int open = stat.indexOf('(');
          int close = stat.lastIndexOf(')');
          String name = stat.substring(open + 1, close).replaceAll("[0-9]", "");
          String[] fields = stat.substring(close + 2).split(" ");
          // utime and stime are fields 14 and 15 of stat; 12 and 13 after the name.
          long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
          out.merge(name, ticks * 10_000_000L, Long::sum);
        } catch (java.io.IOException | RuntimeException e) {
          // The thread ended meanwhile.
        }
      }
    } catch (java.io.IOException e) {
      return out;
    }
    return out;
  }

  private interface Work {
    void run(SecretName name) throws Exception;
  }

  private static void runAll(ExecutorService pool, List<SecretName> names, Work work)
      throws Exception {
    List<Future<?>> futures = new ArrayList<>();
    for (SecretName name : names) {
      futures.add(
          pool.submit(() -> {
            work.run(name);
            return null;
          }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
  }
}
