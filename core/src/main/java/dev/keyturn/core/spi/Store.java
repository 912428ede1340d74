package dev.keyturn.core.spi;

import dev.keyturn.core.audit.AuditChain;
import java.util.function.Function;

/**
 * Durable storage as a whole: one role interface per kind of record, each with its own contract
 * suite, and {@link #inTransaction} to change several of them atomically. Implementations (SQLite,
 * PostgreSQL, the in-memory fake) are thread-safe.
 *
 * <p>Every method throws {@link dev.keyturn.core.KeyturnException.Unavailable} when the backing
 * storage cannot be reached.
 */
public interface Store extends AutoCloseable {

  SecretStore secrets();

  TokenStore tokens();

  RotationStore rotations();

  SettingStore settings();

  /**
   * Opens the audit log kept in the same store, sealing records with {@code chain}; units of work
   * seal theirs with the same chain. Call once, before appending audit records in a unit of work;
   * close the log before the store.
   */
  AuditLog openAuditLog(AuditChain chain);

  /** True when the store holds no secret and no token: only then may a new root key be made. */
  boolean isEmpty();

  /**
   * Runs {@code work} in one transaction and commits it, with the audit records it appended, when
   * {@code work} returns. If {@code work} throws, or the commit fails, nothing it did is kept and
   * the exception propagates ({@link dev.keyturn.core.KeyturnException.Unavailable} for a storage
   * failure). Updates of one secret, and audit appends, exclude each other across nodes as outside
   * a unit.
   *
   * @throws IllegalStateException if {@code work} appends audit records before {@link
   *     #openAuditLog} was called
   */
  <T> T inTransaction(Function<UnitOfWork, T> work);

  @Override
  void close();
}
