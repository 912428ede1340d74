package dev.keyturn.core.spi;

import dev.keyturn.core.SecretName;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Secrets and their versions: metadata in the clear, values only as ciphertexts. One role of a
 * {@link Store}; checked by {@code SecretStoreContract}. Thread-safe.
 *
 * <p>Outside a {@link UnitOfWork} each call is its own transaction; inside one, every call runs in
 * the unit's transaction and nothing is durable before it commits.
 *
 * <p>Every method throws {@link dev.keyturn.core.KeyturnException.Unavailable} when the backing
 * storage cannot be reached.
 */
public interface SecretStore {

  /**
   * Updates one secret atomically. Excluding every other update of {@code name} (on every node
   * sharing the store) until the transaction ends, the store creates the secret row if it is
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
   * The ciphertexts of many versions at once (a backup's page): for each secret id of {@code
   * versions}, what {@link #ciphertext} returns for each of its version numbers, by id and then by
   * number; unknown and destroyed ones are left out. A store that can reads them in one query.
   */
  default Map<Long, Map<Integer, byte[]>> ciphertexts(Map<Long, List<Integer>> versions) {
    Map<Long, Map<Integer, byte[]>> out = new HashMap<>();
    versions.forEach((id, numbers) -> {
      for (int number : numbers) {
        ciphertext(id, number)
            .ifPresent(c -> out.computeIfAbsent(id, k -> new HashMap<>()).put(number, c));
      }
    });
    return out;
  }

  /**
   * Secrets whose names start with {@code prefix} and sort after {@code after} (binary order), at
   * most {@code limit}, in name order. Secrets whose versions are all retired are left out.
   */
  List<StoredSecret> list(String prefix, Optional<String> after, int limit);

  /**
   * The names {@link #list} would return, without the metadata: for listings that show a page of
   * many names (the dashboard's inventory), where reading and checking every secret's versions
   * would cost more than the page. The names are read as stored, not checked against their MACs;
   * whatever is shown about a name must still come from {@link #find} or {@link #list}.
   */
  default List<SecretName> names(String prefix, Optional<String> after, int limit) {
    return list(prefix, after, limit).stream().map(StoredSecret::name).toList();
  }

  /** Secrets that have a previous version whose grace window ended at {@code now}. */
  List<SecretName> withExpiredPrevious(Instant now, int limit);
}
