package dev.keyturn.core.spi;

import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
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

  ConsumerStore consumers();

  /**
   * Opens the audit log kept in the same store, sealing records with {@code chain}; units of work
   * seal theirs with the same chain. Call once, before appending audit records in a unit of work;
   * close the log before the store.
   */
  AuditLog openAuditLog(AuditChain chain);

  /**
   * Starts protecting the rows whose fields decide access (secrets with their versions, tokens,
   * rules) against edits and replays in the storage: every such row carries a MAC under the store's
   * metadata key (wrapped by {@code envelope}'s root key) and a generation that the audit chain
   * records; every read that relies on a row checks both and fails with {@link
   * dev.keyturn.core.KeyturnException.IntegrityFailure} (logged at ERROR and audited as {@code
   * integrity.fail}) when they do not hold. At the first start after the upgrade it migrates rows
   * written before (re-encrypting values to name-bound associated data, adding MACs and generation
   * 1) in one transaction, audited once as {@code integrity.migrate}. Call once, after {@link
   * #openAuditLog} and before serving.
   *
   * <p>The default does nothing: for stores whose storage is not exposed (the in-memory fake).
   *
   * @throws dev.keyturn.core.KeyturnException.IntegrityFailure if the store cannot be trusted: its
   *     metadata key is missing or does not open after its rows were protected
   */
  default void protect(Envelope envelope) {}

  /** What {@link #sweep} found: the rows it checked, and the objects whose rows failed. */
  record SweepResult(long rows, java.util.List<String> failures) {
    public SweepResult {
      failures = java.util.List.copyOf(failures);
    }
  }

  /**
   * Checks every row {@link #protect} protects (secrets with their versions, deleted ones too;
   * tokens; rules) against its MAC and generation, as a read of it would, from the storage itself,
   * past any cache. Reads check only the rows they touch: this finds a row edited so that no read
   * touches it (a rule whose due date was moved to never drops out of the due query). A failing row
   * does not stop the sweep; each failure is logged and audited as a read's is. Call outside a unit
   * of work.
   *
   * <p>The default checks nothing: for stores whose storage is not exposed (the in-memory fake),
   * and stores not yet protected.
   */
  default SweepResult sweep() {
    return new SweepResult(0, java.util.List.of());
  }

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
