package dev.keyturn.core.spi;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The append-only, hash-chained audit log. Implementations are thread-safe and group-commit:
 * concurrent appends share one durable write. Records of a change are appended in the change's own
 * {@link UnitOfWork} instead; this log is for requests that change nothing (reads, refusals).
 */
public interface AuditLog extends AuditWriter, AutoCloseable {

  /**
   * Appends {@code events} in order and returns once they are durable.
   *
   * @throws dev.keyturn.core.KeyturnException.Unavailable if they could not be written; the caller
   *     must then fail its request (invariant 6)
   */
  @Override
  void append(List<AuditEvent> events);

  /**
   * Appends {@code events} in order; the future completes once they are durable, or exceptionally
   * with {@link dev.keyturn.core.KeyturnException.Unavailable} when they could not be written. Lets
   * a server answer without holding a thread while it waits.
   */
  CompletableFuture<Void> appendAsync(List<AuditEvent> events);

  /** Records matching {@code query}, in chain order. */
  List<AuditRecord> query(AuditQuery query);

  /** Every record in chain order, streamed to {@code sink} (for verification). */
  void scan(Consumer<AuditRecord> sink);

  /** The newest record, if any. */
  Optional<AuditRecord> head();

  /** Flushes pending appends and stops accepting new ones. */
  @Override
  void close();
}
