package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps refusals that a client can repeat at no cost (a path that is no route, a throttled or
 * over-the-limit request) from turning the audit log into a disk-filling amplifier, without losing
 * any of them. Per client address, action, result and secret name, the first refusal in each {@link
 * #interval} is recorded as usual, before its answer; the ones after it in that interval are only
 * counted, and when the interval has ended one more record says how many there were ({@code detail}
 * "{@code repeated N more times from T1 to T2}"). So one address writes at most two records per
 * interval per kind of refusal. At most {@link #MAX_KEYS} keys are counted per interval; further
 * addresses are counted together under the client {@code *}. Counts are written by {@link #flush}
 * (run periodically, and on {@link #close}). Thread-safe.
 */
final class RepeatedRefusals implements AutoCloseable {
  static final int MAX_KEYS = 1_000;
  static final String OVERFLOW_CLIENT = "*";
  private static final Logger log = LoggerFactory.getLogger(RepeatedRefusals.class);

  private final AuditLog audit;
  private final Clock clock;
  private final Duration interval;
  private final Map<Key, Tally> tallies = new HashMap<>();

  RepeatedRefusals(AuditLog audit, Clock clock, Duration interval) {
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
    this.interval = requireNonNull(interval, "interval");
  }

  Duration interval() {
    return interval;
  }

  /**
   * The records to write now for {@code events}, the records of one refused request: all of them
   * when this is the first such refusal of its client in the interval, none when it is counted.
   */
  List<AuditEvent> admit(List<AuditEvent> events) {
    if (events.isEmpty()) {
      return events;
    }
    AuditEvent first = events.get(0);
    Key key = new Key(first.client(), first.action(), first.result(), first.secret());
    Instant now = clock.instant();
    List<AuditEvent> ended = new ArrayList<>();
    boolean write;
    synchronized (tallies) {
      Tally tally = tallies.get(key);
      if (tally != null && !now.isBefore(tally.start.plus(interval))) {
        tallies.remove(key);
        tally.summary(key).ifPresent(ended::add);
        tally = null;
      }
      if (tally == null && tallies.size() >= MAX_KEYS) {
        key = new Key(OVERFLOW_CLIENT, first.action(), first.result(), Optional.empty());
        tally = tallies.get(key);
      }
      if (tally == null) {
        tallies.put(key, new Tally(now, first));
        write = true;
      } else {
        tally.count++;
        tally.last = now;
        write = false;
      }
    }
    if (!ended.isEmpty()) {
      append(ended);
    }
    return write ? events : List.of();
  }

  /** Writes the counts of intervals that have ended. */
  void flush() {
    flush(false);
  }

  private void flush(boolean all) {
    Instant now = clock.instant();
    List<AuditEvent> summaries = new ArrayList<>();
    synchronized (tallies) {
      Iterator<Map.Entry<Key, Tally>> it = tallies.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<Key, Tally> e = it.next();
        if (all || !now.isBefore(e.getValue().start.plus(interval))) {
          it.remove();
          e.getValue().summary(e.getKey()).ifPresent(summaries::add);
        }
      }
    }
    append(summaries);
  }

  private void append(List<AuditEvent> summaries) {
    if (summaries.isEmpty()) {
      return;
    }
    try {
      audit.append(summaries);
    } catch (RuntimeException e) {
      log.error(
          "could not record {} counts of repeated refusals: {}",
          summaries.size(),
          SafeFailure.describe(e));
    }
  }

  /** Writes every count, ended or not; call before the audit log closes. */
  @Override
  public void close() {
    flush(true);
  }

  private record Key(String client, String action, String result, Optional<String> secret) {}

  private static final class Tally {
    final Instant start;
    final AuditEvent first;
    long count;
    Instant last;

    Tally(Instant start, AuditEvent first) {
      this.start = start;
      this.first = first;
      this.last = start;
    }

    Optional<AuditEvent> summary(Key key) {
      if (count == 0) {
        return Optional.empty();
      }
      return Optional.of(
          new AuditEvent(
              last,
              "-",
              key.client(),
              key.action(),
              key.secret(),
              Optional.empty(),
              key.result(),
              "repeated " + count + " more times from " + start + " to " + last));
    }
  }
}
