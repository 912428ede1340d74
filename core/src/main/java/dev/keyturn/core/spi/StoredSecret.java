package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.VersionSet;
import java.time.Instant;
import java.util.Optional;

/**
 * A secret as the store holds it: its internal id (bound into every ciphertext), the wrapped data
 * key, and the metadata of every version. Never a value.
 *
 * @param wrappedDataKey absent for a secret that is new or whose ciphertexts were destroyed
 */
public record StoredSecret(
    long id,
    SecretName name,
    Optional<byte[]> wrappedDataKey,
    VersionSet versions,
    Instant createdAt,
    Instant updatedAt,
    boolean destroyed) {

  public StoredSecret {
    requireNonNull(name, "name");
    requireNonNull(wrappedDataKey, "wrappedDataKey");
    requireNonNull(versions, "versions");
    requireNonNull(createdAt, "createdAt");
    requireNonNull(updatedAt, "updatedAt");
  }

  /** The data key number of every secret today; kept in ciphertexts so keys can be re-keyed. */
  public static final int DATA_KEY = 1;
}
