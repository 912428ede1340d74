package dev.keyturn.bench;

import dev.keyturn.core.Generator;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.store.JdbcStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The scheduler's due-secrets query ({@link RotationStore#dueRules}, the 200 soonest) on a SQLite
 * store holding many rules, loaded through the store with its integrity protection on (every row
 * has its MAC and generation, and every rule the query returns is checked against them, as the
 * server's scheduler reads them). One rule in a hundred is due; the others are spread over the next
 * 90 days. Prints the median of several timed queries. Run by bench/due.sh.
 */
public final class DueBenchmark {
  private static final int PER_UNIT = 1000;
  private static final int BATCH = 200;

  private DueBenchmark() {}

  public static void main(String[] args) throws Exception {
    int rules = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    Path dir = Files.createTempDirectory("keyturn-due-bench");
    String url = "jdbc:sqlite:" + dir.resolve("keyturn.db");
    Clock clock = Clock.systemUTC();
    SecureRandom random = new SecureRandom();
    RootKey root = RootKey.generate(random);
    JdbcStore store = JdbcStore.open(url, clock);
    AuditLog audit = store.openAuditLog(new AuditChain(root));
    store.protect(new Envelope(root, random));
    Instant now = clock.instant();
    long loadStart = System.nanoTime();
    load(store, rules, now);
    System.out.printf(
        "loaded %,d rules through the store (protected: MAC and generation per row) in %.0f s%n",
        rules, (System.nanoTime() - loadStart) / 1e9);
    RotationStore rotations = store.rotations();
    for (int i = 0; i < 3; i++) {
      rotations.dueRules(clock.instant(), BATCH);
    }
    List<Double> millis = new ArrayList<>();
    List<Double> cpuMillis = new ArrayList<>();
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    int found = 0;
    for (int i = 0; i < runs; i++) {
      long cpu = threads.getCurrentThreadCpuTime();
      long start = System.nanoTime();
      found = rotations.dueRules(clock.instant(), BATCH).size();
      millis.add((System.nanoTime() - start) / 1e6);
      cpuMillis.add((threads.getCurrentThreadCpuTime() - cpu) / 1e6);
    }
    millis.sort(null);
    cpuMillis.sort(null);
    System.out.printf(
        "due query (dueRules, the %d soonest of %,d due among %,d rules, each row's MAC and"
            + " generation checked): median %.1f ms, best %.1f ms, worst %.1f ms over %d runs%n",
        found, rules / 100, rules, millis.get(runs / 2), millis.get(0), millis.get(runs - 1), runs);
    // Steadier than wall time on a loaded machine: the querying thread's own CPU time.
    System.out.printf(
        "due query CPU time (the querying thread's, SQLite included): median %.1f ms%n",
        cpuMillis.get(runs / 2));
    // The page after the first, as a scheduler pass that could start none of the first reads it.
    RotationStore.RuleEntry after = rotations.dueRules(clock.instant(), BATCH).get(BATCH - 1);
    List<Double> nextMillis = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      found = rotations.dueRulesAfter(clock.instant(), after, BATCH).size();
      nextMillis.add((System.nanoTime() - start) / 1e6);
    }
    nextMillis.sort(null);
    System.out.printf(
        "next page (dueRulesAfter the 200th, %d rules): median %.1f ms, worst %.1f ms%n",
        found, nextMillis.get(runs / 2), nextMillis.get(runs - 1));
    try (Connection c = DriverManager.getConnection(url)) {
      for (String sql :
          List.of(
              "SELECT secret FROM rules WHERE start_at IS NOT NULL AND start_at <= 0"
                  + " ORDER BY start_at, secret LIMIT 200",
              "SELECT secret FROM rules WHERE start_at IS NOT NULL AND start_at <= 0"
                  + " AND (start_at, secret) > (0, '') ORDER BY start_at, secret LIMIT 200")) {
        try (ResultSet rs = c.createStatement().executeQuery("EXPLAIN QUERY PLAN " + sql)) {
          while (rs.next()) {
            System.out.println("plan: " + rs.getString("detail"));
          }
        }
      }
    }
    audit.close();
    store.close();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Puts the rules in units of {@link #PER_UNIT}, on two threads. */
  private static void load(JdbcStore store, int rules, Instant now) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<?>> done = new ArrayList<>();
    for (int from = 0; from < rules; from += PER_UNIT) {
      int first = from;
      int last = Math.min(rules, from + PER_UNIT);
      done.add(
          pool.submit(() ->
              store.inTransaction(work -> {
                for (int i = first; i < last; i++) {
                  Instant due =
                      i % 100 == 0
                          ? now.minusSeconds(1 + i % 3600)
                          : now.plus(Duration.ofSeconds(60 + (i * 7919L) % (90L * 86_400)));
                  work.rotations().putRule(rule(i), Optional.of(due));
                }
                return null;
              })));
    }
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();
  }

  private static RotationRule rule(int i) {
    return new RotationRule(
        SecretName.of("bench/app" + (i % 1000) + "/SECRET_" + i),
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
        List.of(),
        Optional.empty(),
        false,
        false);
  }
}
