package dev.keyturn.core.spi;

import dev.keyturn.core.SecretName;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Durable storage of secrets: metadata in the clear, values only as ciphertexts. Implementations
 * are thread-safe and are checked by one contract suite ({@code SecretStoreContract}).
 *
 * <p>Every method throws {@link dev.keyturn.core.KeyturnException.Unavailable} when the backing
 * storage cannot be reached.
 */
public interface SecretStore extends AutoCloseable {

  /**
   * Updates one secret atomically. Inside one transaction that excludes every other update of
   * {@code name} (on every node sharing the store), the store creates the secret row if it is
   * missing, calls {@code change} with the secret as it stands, and writes what it returns. If
   * {@code change} throws, nothing is written and the exception propagates.
   *
   * <p>The returned change must keep every existing version (versions are never removed) and may
   * add new ones, each with its ciphertext.
   *
   * @return the secret as stored after the update
   */
  StoredSecret update(SecretName name, Function<StoredSecret, SecretChange> change);

  /** The secret's metadata, if it was ever written. */
  Optional<StoredSecret> find(SecretName name);

  /** The ciphertext of one version; absent if unknown or destroyed. */
  Optional<byte[]> ciphertext(long secretId, int version);

  /**
   * Secrets whose names start with {@code prefix} and sort after {@code after} (binary order), at
   * most {@code limit}, in name order. Secrets whose versions are all retired are left out.
   */
  List<StoredSecret> list(String prefix, Optional<String> after, int limit);

  /** Secrets that have a previous version whose grace window ended at {@code now}. */
  List<SecretName> withExpiredPrevious(java.time.Instant now, int limit);

  /** True when the store holds no secret and no token: only then may a new root key be made. */
  boolean isEmpty();

  /** A store-wide setting, such as the id of the root key that the data keys are wrapped with. */
  Optional<String> setting(String key);

  /** Writes {@code value} for {@code key} unless it is set; returns the value in force after. */
  String settingIfAbsent(String key, String value);

  /** The tokens kept in the same store. */
  TokenStore tokens();

  /** The rotation rules and runs kept in the same store. */
  RotationStore rotations();

  /**
   * Opens the audit log kept in the same store, sealing records with {@code chain}. Call once;
   * close the log before the store.
   */
  AuditLog openAuditLog(dev.keyturn.core.audit.AuditChain chain);

  @Override
  void close();
}
