package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.StatusBoard;
import dev.keyturn.core.StatusBoard.Row;
import dev.keyturn.core.StatusBoard.State;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges read off the {@link StatusBoard}: secrets per state ({@code keyturn_secrets}) and how long
 * past its due date the most overdue rule is ({@code keyturn_rotation_overdue_seconds}).
 *
 * <p>Cost: a refresh computes the whole board once (one query for the rules, one per thousand
 * secrets for the names, then per secret a metadata read and two rotation reads; at most {@link
 * StatusBoard#MAX_ROWS} rows). A scrape refreshes only when the last refresh is older than {@code
 * maxAge}, and never two at once (a scrape during a refresh serves the previous figures), so
 * however often {@code /metrics} is called, the store does at most one board's work per {@code
 * maxAge}. When a refresh fails the figures stay as they were and {@code
 * keyturn_status_refresh_failures_total} counts it. Thread-safe.
 */
final class StatusGauges {
  private static final Logger log = LoggerFactory.getLogger(StatusGauges.class);

  private final StatusBoard board;
  private final Clock clock;
  private final Duration maxAge;
  private final ReentrantLock refreshing = new ReentrantLock();
  private final Timer refreshTime;
  private final Counter refreshFailures;
  private volatile Map<State, Integer> counts = new EnumMap<>(State.class);
  private volatile double oldestOverdueSeconds;
  private volatile Instant refreshedAt;

  StatusGauges(StatusBoard board, Clock clock, Duration maxAge, MeterRegistry registry) {
    this.board = requireNonNull(board, "board");
    this.clock = requireNonNull(clock, "clock");
    this.maxAge = requireNonNull(maxAge, "maxAge");
    for (State state : State.values()) {
      Gauge.builder("keyturn.secrets", this, g -> g.counts.getOrDefault(state, 0))
          .description("Secrets on the status board, by state (as of the last refresh).")
          .tag("state", label(state))
          .register(registry);
    }
    Gauge.builder("keyturn.rotation.overdue", this, g -> g.oldestOverdueSeconds)
        .description("How long past its due date the most overdue rule is; 0 when none is.")
        .baseUnit("seconds")
        .register(registry);
    refreshTime =
        Timer.builder("keyturn.status.refresh")
            .description("Time to compute the status board behind keyturn_secrets.")
            .register(registry);
    refreshFailures =
        Counter.builder("keyturn.status.refresh.failures")
            .description("Status board refreshes that failed (the gauges kept their figures).")
            .register(registry);
  }

  /** {@code ok}, {@code due}, ..., {@code no_rule}: the state's wire name as a label value. */
  static String label(State state) {
    return state.name().toLowerCase(Locale.ROOT);
  }

  /** Recomputes the figures if they are older than the maximum age and no refresh is running. */
  void refreshIfStale() {
    if (fresh()) {
      return;
    }
    if (!refreshing.tryLock()) {
      return;
    }
    try {
      if (fresh()) {
        return;
      }
      long start = System.nanoTime();
      try {
        compute(board.rows("", name -> true));
      } catch (RuntimeException e) {
        refreshFailures.increment();
        log.warn("could not refresh the status gauges: {}", SafeFailure.describe(e));
      } finally {
        refreshTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        refreshedAt = clock.instant();
      }
    } finally {
      refreshing.unlock();
    }
  }

  /** Refreshed less than the maximum age ago (on the server's clock, which may be set back). */
  private boolean fresh() {
    Instant at = refreshedAt;
    Instant now = clock.instant();
    return at != null && !now.isBefore(at) && now.isBefore(at.plus(maxAge));
  }

  private void compute(List<Row> rows) {
    Instant now = clock.instant();
    Map<State, Integer> next = new EnumMap<>(State.class);
    long oldest = 0;
    for (Row row : rows) {
      next.merge(row.state(), 1, Integer::sum);
      if (row.state() == State.OVERDUE && row.nextDue().isPresent()) {
        oldest = Math.max(oldest, Duration.between(row.nextDue().get(), now).toSeconds());
      }
    }
    counts = next;
    oldestOverdueSeconds = oldest;
  }
}
