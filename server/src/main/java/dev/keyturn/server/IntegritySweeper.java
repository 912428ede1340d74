package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.Store;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every protected row of the store ({@link Store#sweep}) a minute after start and then every
 * hour, on a thread of its own. Reads check only the rows they touch; this is what finds a row
 * edited so that nothing reads it (docs/security.md). Each failing row is logged at ERROR and
 * audited as {@code integrity.fail} by the store, as a read's failure is; a sweep that finds any
 * also sends one {@code integrity.fail} notification naming them (never a value) and shows in
 * {@code /metrics}: {@code keyturn_integrity_sweep_failed_rows}, {@code
 * keyturn_integrity_sweep_rows} and {@code keyturn_integrity_sweep_last_success_timestamp_seconds}
 * (alerts {@code KeyturnIntegrityFailure} and {@code KeyturnIntegritySweepStale}).
 */
final class IntegritySweeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IntegritySweeper.class);
  static final Duration FIRST = Duration.ofMinutes(1);
  static final Duration EVERY = Duration.ofHours(1);

  /** Objects named in one log line or notification; the rest are counted. */
  private static final int NAMED = 20;

  private final Store store;
  private final Notifier notifier;
  private final Clock clock;
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("keyturn-integrity-sweep").daemon(true).factory());
  private volatile long rows;
  private volatile long failedRows;
  private volatile double lastSuccessSeconds;

  IntegritySweeper(Store store, Notifier notifier, Clock clock, MeterRegistry registry) {
    this.store = requireNonNull(store, "store");
    this.notifier = requireNonNull(notifier, "notifier");
    this.clock = requireNonNull(clock, "clock");
    Gauge.builder("keyturn.integrity.sweep.rows", this, s -> s.rows)
        .description("Rows the last integrity sweep checked (secrets, tokens, rules).")
        .register(registry);
    Gauge.builder("keyturn.integrity.sweep.failed.rows", this, s -> s.failedRows)
        .description("Rows that failed their integrity check in the last sweep.")
        .register(registry);
    Gauge.builder("keyturn.integrity.sweep.last.success", this, s -> s.lastSuccessSeconds)
        .description("When the last integrity sweep that ran to the end finished (0: none yet).")
        .baseUnit("timestamp_seconds")
        .register(registry);
  }

  /** Sweeps after {@code first}, then every {@code every}. */
  IntegritySweeper start(Duration first, Duration every) {
    thread.scheduleWithFixedDelay(
        this::sweep, first.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** One sweep; what it found is in the gauges, the log, the audit log and a notification. */
  void sweep() {
    long started = System.nanoTime();
    Store.SweepResult result;
    try {
      result = store.sweep();
    } catch (RuntimeException e) {
      // The store could not be read to the end (unavailable): the gauges keep the last sweep's
      // figures, and the last-success timestamp grows old.
      log.warn("integrity sweep did not finish: {}", SafeFailure.describe(e));
      return;
    }
    rows = result.rows();
    failedRows = result.failures().size();
    lastSuccessSeconds = clock.millis() / 1000.0;
    long millis = (System.nanoTime() - started) / 1_000_000;
    if (result.failures().isEmpty()) {
      log.info("integrity sweep: {} rows checked in {} ms, all sound", result.rows(), millis);
      return;
    }
    String named = named(result.failures());
    log.error(
        "integrity sweep: {} of {} rows failed their checks: {} (docs/security.md)",
        result.failures().size(),
        result.rows(),
        named);
    notifier.send(
        "integrity.fail",
        "-",
        Optional.empty(),
        "failed",
        "integrity sweep: "
            + result.failures().size()
            + " rows of the store failed their checks (edited outside Keyturn?): "
            + named,
        Optional.empty());
  }

  private static String named(List<String> failures) {
    String shown = String.join(", ", failures.subList(0, Math.min(NAMED, failures.size())));
    return failures.size() > NAMED ? shown + " and " + (failures.size() - NAMED) + " more" : shown;
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
