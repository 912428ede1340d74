package dev.keyturn.core.spi;

import java.util.List;

/**
 * Where audit events are appended: the group-committing {@link AuditLog}, or a {@link UnitOfWork}.
 */
public interface AuditWriter {

  /**
   * Appends {@code events} in order, chained after the records before them. An {@link AuditLog}
   * returns once they are durable; a {@link UnitOfWork} makes them durable when it commits, with
   * the change they record, or not at all.
   *
   * @throws dev.keyturn.core.KeyturnException.Unavailable if they could not be written; the caller
   *     must then fail its request (invariant 6)
   */
  void append(List<AuditEvent> events);
}
