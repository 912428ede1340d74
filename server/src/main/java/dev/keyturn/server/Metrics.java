package dev.keyturn.server;

import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The server's metrics, served as Prometheus text on {@code GET /metrics} (docs/operations.md names
 * each one). Labels take their values from fixed sets only (route actions, status classes, rotation
 * outcomes, status-board states): nothing a caller sends becomes a label, so the number of series
 * is bounded. Thread-safe.
 */
final class Metrics implements AutoCloseable {
  /**
   * How a rotation ended: {@code finished}, {@code rolled_back} (failed, undone), {@code failed}.
   */
  static final List<String> OUTCOMES = List.of("finished", "rolled_back", "failed");

  /** The latency histogram's buckets, from a cached read to a slow store. */
  static final Duration[] BUCKETS = {
    Duration.ofMillis(1),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10)
  };

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final Map<String, Timer> requests = new ConcurrentHashMap<>();
  private final Map<String, Counter> rotations = new ConcurrentHashMap<>();
  private final Counter throttled;
  private final List<Runnable> beforeScrape = new CopyOnWriteArrayList<>();

  Metrics() {
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    throttled =
        Counter.builder("keyturn.auth.throttled")
            .description("Requests refused with 429 after repeated failed authentications.")
            .register(registry);
    for (String outcome : OUTCOMES) {
      rotations.put(
          outcome,
          Counter.builder("keyturn.rotations")
              .description("Rotations this node ended, by outcome.")
              .tag("outcome", outcome)
              .register(registry));
    }
  }

  MeterRegistry registry() {
    return registry;
  }

  /** Runs {@code task} before each scrape (to refresh gauges computed from the store). */
  void beforeScrape(Runnable task) {
    beforeScrape.add(task);
  }

  /** Records one answered request; {@code action} is a route's action, never a raw path. */
  void request(String action, int status, long elapsedNanos) {
    String statusClass = (status / 100) + "xx";
    requests
        .computeIfAbsent(
            action + " " + statusClass,
            k ->
                Timer.builder("keyturn.http.requests")
                    .description("Time to answer API requests, by route action and status class.")
                    .tag("action", action)
                    .tag("status", statusClass)
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry))
        .record(elapsedNanos, TimeUnit.NANOSECONDS);
  }

  void throttled() {
    throttled.increment();
  }

  /** Counts a rotation that reached a final state on this node. */
  void rotationEnded(Rotation rotation) {
    rotations.get(outcome(rotation)).increment();
  }

  static String outcome(Rotation rotation) {
    if (rotation.state() == RotationState.FINISHED) {
      return "finished";
    }
    boolean rolledBack =
        rotation.checklist().stream().anyMatch(c -> c.ok() && c.name().startsWith("rollback "));
    return rolledBack ? "rolled_back" : "failed";
  }

  /** Every metric in the Prometheus text format (version 0.0.4). */
  String scrape() {
    beforeScrape.forEach(Runnable::run);
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
