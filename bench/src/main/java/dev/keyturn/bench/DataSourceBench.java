package dev.keyturn.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.client.KeyturnClient;
import dev.keyturn.client.RotatingDataSource;
import dev.keyturn.client.internal.WireClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Primary-key selects on a {@code pgbench -i} database ({@code SELECT abalance FROM
 * pgbench_accounts WHERE aid = ?}, aid uniform over the accounts) from {@code THREADS} threads for
 * {@code SECONDS}, after a 5 s warm-up, through plain HikariCP ({@code plain}) or through {@link
 * RotatingDataSource} ({@code rotating}) while the secret is rotated every {@code ROTATE_EVERY}
 * seconds through the Keyturn server. Prints one line: queries/s, p50, p99, max, failed queries,
 * rotations, the versions the DataSource went through, and this JVM's CPU time. Run by
 * bench/datasource.sh, which sets the environment.
 *
 * <p>Usage: {@code DataSourceBench plain|rotating SECONDS THREADS ROTATE_EVERY SCALE}; environment
 * {@code BENCH_JDBC_URL}, {@code BENCH_DB_USER}, {@code BENCH_DB_PASSWORD} (plain), {@code
 * KEYTURN_ADDR}, {@code BENCH_READ_TOKEN}, {@code BENCH_ROTATE_TOKEN}, {@code BENCH_SECRET}
 * (rotating).
 */
public final class DataSourceBench {
  private static final int BUCKETS = 200_000; // microseconds, 0 to 200 ms; more is counted as 200

  private DataSourceBench() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    int seconds = Integer.parseInt(args[1]);
    int threads = Integer.parseInt(args[2]);
    int rotateEvery = Integer.parseInt(args[3]);
    int accounts = Integer.parseInt(args[4]) * 100_000;
    List<AutoCloseable> closing = new ArrayList<>();
    DataSource ds;
    RotatingDataSource rotating = null;
    WireClient rotator = null;
    if (mode.equals("plain")) {
      HikariConfig config = new HikariConfig();
      config.setJdbcUrl(System.getenv("BENCH_JDBC_URL"));
      config.setUsername(System.getenv("BENCH_DB_USER"));
      config.setPassword(System.getenv("BENCH_DB_PASSWORD"));
      config.setMaximumPoolSize(threads);
      HikariDataSource hikari = new HikariDataSource(config);
      closing.add(hikari);
      ds = hikari;
    } else {
      KeyturnClient reader =
          KeyturnClient.builder()
              .address(System.getenv("KEYTURN_ADDR"))
              .token(System.getenv("BENCH_READ_TOKEN"))
              .build();
      rotator =
          WireClient.builder()
              .address(System.getenv("KEYTURN_ADDR"))
              .token(System.getenv("BENCH_ROTATE_TOKEN"))
              .build();
      closing.add(reader);
      closing.add(rotator);
      rotating =
          RotatingDataSource.builder()
              .client(reader)
              .secret(System.getenv("BENCH_SECRET"))
              .configure(c -> c.setMaximumPoolSize(threads))
              .build();
      closing.add(0, rotating);
      ds = rotating;
    }

    AtomicBoolean measuring = new AtomicBoolean(false);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong failures = new AtomicLong();
    AtomicInteger rotations = new AtomicInteger();
    List<String> versions = new ArrayList<>();
    long[][] histograms = new long[threads][BUCKETS + 1];
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long[] histogram = histograms[t];
      Thread worker =
          new Thread(
              () -> {
                while (running.get()) {
                  long start = System.nanoTime();
                  try (Connection c = ds.getConnection();
                      PreparedStatement s =
                          c.prepareStatement(
                              "SELECT abalance FROM pgbench_accounts WHERE aid = ?")) {
                    s.setInt(1, ThreadLocalRandom.current().nextInt(1, accounts + 1));
                    try (ResultSet r = s.executeQuery()) {
                      if (!r.next()) {
                        throw new IllegalStateException("no row");
                      }
                    }
                  } catch (Exception e) {
                    if (failures.getAndIncrement() == 0) {
                      System.err.println("first failure: " + e);
                    }
                    continue;
                  }
                  if (measuring.get()) {
                    long micros = (System.nanoTime() - start) / 1_000;
                    histogram[(int) Math.min(micros, BUCKETS)]++;
                  }
                }
              },
              "select-" + t);
      worker.start();
      workers.add(worker);
    }
    Thread.sleep(5_000);
    failures.set(0);
    Duration cpuBefore = cpu();
    measuring.set(true);
    long began = System.nanoTime();
    long end = began + Duration.ofSeconds(seconds).toNanos();
    long nextRotation = began + Duration.ofSeconds(rotateEvery).toNanos();
    while (System.nanoTime() < end) {
      if (rotator != null && System.nanoTime() >= nextRotation && nextRotation < end) {
        String secret = System.getenv("BENCH_SECRET");
        String state = rotator.rotate(secret, new RotateRequest(null, null)).state();
        rotations.incrementAndGet();
        if (!state.equals("finished")) {
          System.err.println("rotation " + rotations.get() + ": " + state);
        }
        nextRotation += Duration.ofSeconds(rotateEvery).toNanos();
      }
      if (rotating != null) {
        String seen = String.valueOf(rotating.currentVersion());
        if (versions.isEmpty() || !versions.get(versions.size() - 1).equals(seen)) {
          versions.add(seen);
        }
      }
      Thread.sleep(20);
    }
    measuring.set(false);
    double elapsed = (System.nanoTime() - began) / 1e9;
    Duration cpuUsed = cpu().minus(cpuBefore);
    running.set(false);
    for (Thread worker : workers) {
      worker.join(30_000);
    }
    long[] all = new long[BUCKETS + 1];
    long count = 0;
    for (long[] histogram : histograms) {
      for (int i = 0; i <= BUCKETS; i++) {
        all[i] += histogram[i];
        count += histogram[i];
      }
    }
    System.out.printf(
        "%-9s %8.0f queries/s  p50 %6.3f ms  p99 %6.3f ms  max %7.3f ms  failed %d  rotations %d"
            + "  versions %s  jvm cpu %.1f s%n",
        mode,
        count / elapsed,
        percentile(all, count, 0.50) / 1000.0,
        percentile(all, count, 0.99) / 1000.0,
        percentile(all, count, 1.0) / 1000.0,
        failures.get(),
        rotations.get(),
        versions.isEmpty() ? "-" : String.join(",", versions),
        cpuUsed.toMillis() / 1000.0);
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private static Duration cpu() {
    return ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO);
  }

  private static long percentile(long[] histogram, long count, double p) {
    long rank = Math.max(1, (long) Math.ceil(p * count));
    long seen = 0;
    for (int i = 0; i < histogram.length; i++) {
      seen += histogram[i];
      if (seen >= rank) {
        return i;
      }
    }
    return histogram.length - 1;
  }
}
