package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.core.spi.AuditRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An {@link AuditLog} that times its appends and counts the records written and the appends that
 * failed ({@code keyturn_audit_*}). Covers the group-committed appends (reads, refusals, the
 * scheduler's and the engine's own records); a change's records commit in the change's unit of
 * work, whose time is in the request's latency. Thread-safe as the log it wraps.
 */
final class MeteredAuditLog implements AuditLog {
  private final AuditLog log;
  private final Timer appends;
  private final Counter events;
  private final Counter failures;

  MeteredAuditLog(AuditLog log, MeterRegistry registry) {
    this.log = requireNonNull(log, "log");
    appends =
        Timer.builder("keyturn.audit.append")
            .description("Time until appended audit records are durable (group commit).")
            .serviceLevelObjectives(Metrics.BUCKETS)
            .register(registry);
    events =
        Counter.builder("keyturn.audit.events")
            .description("Audit records written through the group commit.")
            .register(registry);
    failures =
        Counter.builder("keyturn.audit.failures")
            .description("Audit appends that failed (their requests were refused with 503).")
            .register(registry);
  }

  @Override
  public void append(List<AuditEvent> batch) {
    long start = System.nanoTime();
    try {
      log.append(batch);
    } catch (RuntimeException e) {
      failures.increment();
      throw e;
    } finally {
      appends.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
    events.increment(batch.size());
  }

  @Override
  public CompletableFuture<Void> appendAsync(List<AuditEvent> batch) {
    long start = System.nanoTime();
    CompletableFuture<Void> done;
    try {
      done = log.appendAsync(batch);
    } catch (RuntimeException e) {
      failures.increment();
      throw e;
    }
    // Completed after the figures are recorded, with the log's own failure (not wrapped).
    CompletableFuture<Void> result = new CompletableFuture<>();
    done.whenComplete((ok, failure) -> {
      appends.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      if (failure != null) {
        failures.increment();
        result.completeExceptionally(failure);
      } else {
        events.increment(batch.size());
        result.complete(null);
      }
    });
    return result;
  }

  @Override
  public List<AuditRecord> query(AuditQuery query) {
    return log.query(query);
  }

  @Override
  public void scan(Consumer<AuditRecord> sink) {
    log.scan(sink);
  }

  @Override
  public Optional<AuditRecord> head() {
    return log.head();
  }

  @Override
  public void close() {
    log.close();
  }
}
