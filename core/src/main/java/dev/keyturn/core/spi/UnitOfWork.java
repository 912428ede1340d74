package dev.keyturn.core.spi;

/**
 * One transaction over every role of a {@link Store}: secrets and versions, tokens, rules and
 * rotations, and audit records, on one connection. Everything done through it commits together or
 * not at all (DESIGN invariant 9: a change and its audit record). Obtained only inside {@link
 * Store#inTransaction}; not thread-safe and not usable after that call returns.
 *
 * <p>Audit events appended here are chained when the unit commits, under the same lock as the
 * group-committing {@link AuditLog} writer, so both extend one unbroken chain.
 */
public interface UnitOfWork {
  SecretStore secrets();

  TokenStore tokens();

  RotationStore rotations();

  ConsumerStore consumers();

  /** Appends audit records that commit with this unit's changes. */
  AuditWriter audit();
}
