package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Version;
import dev.keyturn.core.VersionSet;
import java.util.Map;
import java.util.Optional;

/**
 * What one atomic update does to a secret: the version set after it, the ciphertext of each new
 * version, a data key when the secret gets its first one, or the destruction of all ciphertexts. A
 * store writes all of it in one transaction or none of it.
 */
public record SecretChange(
    VersionSet after,
    Map<Integer, byte[]> newCiphertexts,
    Optional<byte[]> newWrappedDataKey,
    boolean destroyCiphertexts) {

  public SecretChange {
    requireNonNull(after, "after");
    newCiphertexts = Map.copyOf(newCiphertexts);
    requireNonNull(newWrappedDataKey, "newWrappedDataKey");
  }

  /**
   * Checks that this change may follow {@code before}: no version removed, and exactly the new
   * versions carry a ciphertext. Stores call it before writing.
   *
   * @throws IllegalStateException if not (a programming error, never bad user input)
   */
  public void checkFollows(VersionSet before) {
    for (Version v : before.versions()) {
      if (after.version(v.number()).isEmpty()) {
        throw new IllegalStateException(
            before.name() + ": a change may not remove version " + v.number());
      }
    }
    for (Version v : after.versions()) {
      boolean isNew = before.version(v.number()).isEmpty();
      if (isNew != newCiphertexts.containsKey(v.number())) {
        throw new IllegalStateException(
            before.name() + ": version " + v.number() + " needs a ciphertext exactly when new");
      }
    }
  }

  /** A change of stages only. */
  public static SecretChange stages(VersionSet after) {
    return new SecretChange(after, Map.of(), Optional.empty(), false);
  }
}
