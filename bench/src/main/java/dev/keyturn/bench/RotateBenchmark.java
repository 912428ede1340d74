package dev.keyturn.bench;

import dev.keyturn.core.Generator;
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
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import dev.keyturn.store.JdbcStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
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
 * WAL, synchronous=FULL), with the audit log on: every rotation runs create, set, test and finish,
 * each step persisted and audited. Run by bench/rotate.sh.
 */
public final class RotateBenchmark {
  private RotateBenchmark() {}

  public static void main(String[] args) throws Exception {
    int secrets = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int passes = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    Path dir = Files.createTempDirectory("keyturn-rotate-bench");
    Clock clock = Clock.systemUTC();
    SecureRandom random = new SecureRandom();
    JdbcStore jdbc = JdbcStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), clock);
    Store store = new CachingStore(jdbc, 100_000);
    RootKey root = RootKey.generate(random);
    SecretService service = new SecretService(store, new Envelope(root, random), clock);
    AuditLog audit = store.openAuditLog(new AuditChain(root));
    Target none =
        new Target() {
          @Override
          public void set(TargetContext context) {}

          @Override
          public void test(TargetContext context) {}

          @Override
          public void rollback(TargetContext context) {}
        };
    RotationEngine engine =
        new RotationEngine(
            service,
            store.rotations(),
            Map.of("none", none),
            Map.of(),
            audit,
            clock,
            random,
            "node-bench",
            r -> {});
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<SecretName> names = new ArrayList<>();
    for (int i = 0; i < secrets; i++) {
      names.add(SecretName.of("bench/app" + (i % 100) + "/SECRET_" + i));
    }
    runAll(
        pool,
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
                  Optional.empty());
        });
    // Pass 1 is the first 10,000 rotations of a fresh JVM, C2 compiling beside them; pass 2
    // rotates the same secrets again in the same process, as a server that has been running
    // does. Both run every step persisted and audited; both are printed.
    for (int pass = 1; pass <= passes; pass++) {
      measure(pass, engine, pool, names, threads);
    }
    pool.shutdown();
    audit.close();
    store.close();
  }

  private static void measure(
      int pass, RotationEngine engine, ExecutorService pool, List<SecretName> names, int threads)
      throws Exception {
    int secrets = names.size();
    AtomicInteger finished = new AtomicInteger();
    // Steadier than the rate on a loaded machine: this process's CPU time per rotation.
    var os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    var threadsBean = java.lang.management.ManagementFactory.getThreadMXBean();
    long workersStart = workerCpu(threadsBean);
    Map<String, Long> groupsStart = threadGroupCpu();
    long cpuStart = os.getProcessCpuTime();
    long start = System.nanoTime();
    runAll(
        pool,
        names,
        name -> {
          // As the scheduler does: start with this node's claim, then run the steps.
          var r =
              engine.runDue(
                  engine.startToRun(name, Optional.empty(), false, Optional.empty(), "bench").id());
          if (r.state() == RotationState.FINISHED) {
            finished.incrementAndGet();
          }
        });
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpuMillis = (os.getProcessCpuTime() - cpuStart) / 1e6;
    double workerMillis = (workerCpu(threadsBean) - workersStart) / 1e6;
    Map<String, Long> groupsEnd = threadGroupCpu();
    System.out.printf(
        "pass %d (%s): rotated %d of %d secrets (target none, SQLite, audited) in %.1f s with %d"
            + " threads: %.0f rotations/s%n",
        pass,
        pass == 1 ? "a fresh JVM" : "the same secrets again, same process",
        finished.get(),
        secrets,
        seconds,
        threads,
        finished.get() / seconds);
    System.out.printf(
        "process CPU time per rotation: %.2f ms (all threads, SQLite included)%n",
        cpuMillis / Math.max(1, finished.get()));
    System.out.printf(
        "  of which the %d rotating threads: %.2f ms; the rest (JIT compilers, GC, WAL checkpoints,"
            + " claim keepers): %.2f ms%n",
        threads,
        workerMillis / Math.max(1, finished.get()),
        (cpuMillis - workerMillis) / Math.max(1, finished.get()));
    StringBuilder rest = new StringBuilder();
    double listed = 0;
    for (Map.Entry<String, Long> group : groupsEnd.entrySet()) {
      double millis = (group.getValue() - groupsStart.getOrDefault(group.getKey(), 0L)) / 1e6;
      if (group.getKey().startsWith("pool-") || millis < 0.01 * finished.get()) {
        continue;
      }
      listed += millis;
      rest.append(
          String.format(" %s %.2f ms;", group.getKey(), millis / Math.max(1, finished.get())));
    }
    System.out.printf(
        "  the rest by thread (/proc, 10 ms ticks; threads that ended: %.2f ms):%s%n",
        Math.max(0, cpuMillis - workerMillis - listed) / Math.max(1, finished.get()), rest);
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

  /** CPU time so far of the pool's threads (Executors' default names), SQLite's calls included. */
  private static long workerCpu(java.lang.management.ThreadMXBean bean) {
    long total = 0;
    for (java.lang.management.ThreadInfo info : bean.getThreadInfo(bean.getAllThreadIds())) {
      if (info != null && info.getThreadName().startsWith("pool-")) {
        total += Math.max(0, bean.getThreadCpuTime(info.getThreadId()));
      }
    }
    return total;
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
