package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.core.spi.AuditRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log of the HTTP layer, in front of the real one: the audit chain's key comes from the
 * root key, so while the server is sealed (a sealed start, or after {@code seal}), events (refusals
 * of the HTTP layer) are held in memory, at most {@link #MAX_HELD} of them (the rest are counted
 * and logged), and appended to the real log when it opens, before anything else. Thread-safe.
 */
final class HeldAuditLog implements AuditLog {
  private static final Logger log = LoggerFactory.getLogger(HeldAuditLog.class);
  static final int MAX_HELD = 1_000;

  private final List<AuditEvent> held = new ArrayList<>();
  private int dropped;
  private volatile AuditLog open;

  /** From now on every call goes to {@code log}; the events held so far are appended first. */
  void open(AuditLog real) {
    requireNonNull(real, "real");
    List<AuditEvent> pending;
    synchronized (this) {
      pending = List.copyOf(held);
      held.clear();
      open = real;
    }
    if (!pending.isEmpty()) {
      real.append(pending);
    }
    if (dropped > 0) {
      log.warn(
          "{} audit events of the sealed period were not kept (more than {})", dropped, MAX_HELD);
    }
  }

  /** Holds events again from now on (the real log is being closed by {@code seal}). */
  synchronized void hold() {
    open = null;
    dropped = 0;
  }

  @Override
  public void append(List<AuditEvent> events) {
    AuditLog real = open;
    if (real != null) {
      real.append(events);
      return;
    }
    synchronized (this) {
      if (open != null) {
        open.append(events);
        return;
      }
      for (AuditEvent e : events) {
        if (held.size() < MAX_HELD) {
          held.add(e);
        } else {
          dropped++;
        }
      }
    }
  }

  @Override
  public CompletableFuture<Void> appendAsync(List<AuditEvent> events) {
    AuditLog real = open;
    if (real != null) {
      return real.appendAsync(events);
    }
    append(events);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public List<AuditRecord> query(AuditQuery query) {
    return real().query(query);
  }

  @Override
  public void scan(Consumer<AuditRecord> sink) {
    real().scan(sink);
  }

  @Override
  public Optional<AuditRecord> head() {
    return real().head();
  }

  private AuditLog real() {
    AuditLog real = open;
    if (real == null) {
      throw new KeyturnException.Unavailable("the server is sealed", null);
    }
    return real;
  }

  /** The real log is closed by its owner; nothing held here is durable. */
  @Override
  public void close() {}
}
