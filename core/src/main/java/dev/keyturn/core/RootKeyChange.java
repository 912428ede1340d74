package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * A root key rotation in progress, as the store records it (setting {@link #SETTING}, {@code "FROM
 * TO"}): from the moment it is recorded until it ends, new keys are wrapped by {@code to} and rows
 * wrapped by either key open; it ends in one transaction that makes {@code to} the store's root key
 * id and removes the record. The store is untrusted: the record only tells a start which key files
 * it needs, and every row still opens only under a key that wraps it.
 *
 * @param from the root key id in force when the rotation began
 * @param to the new root key's id
 */
public record RootKeyChange(String from, String to) {
  /** The setting that holds a rotation in progress. */
  public static final String SETTING = "root-key-rotation";

  /** The setting that holds the id of the root key every data key is wrapped by. */
  public static final String ROOT_KEY_ID_SETTING = "root-key-id";

  /**
   * The setting that holds the audit chain keys of earlier root keys, one a line: {@code AK-ID
   * BASE64}, each wrapped by the root key in force and bound to its id.
   */
  public static final String AUDIT_KEYS_SETTING = "audit-keys";

  /**
   * The setting that holds, through the rotation of a share-held root key, each of its two keys
   * wrapped by the other ({@code BASE64(to wrapped by from) BASE64(from wrapped by to)}): so that
   * shares of either key unseal a server restarted mid-rotation, and no key lives in a file.
   * Removed in the rotation's last transaction, after which the old key's shares open nothing.
   */
  public static final String KEYS_SETTING = "root-key-rotation-keys";

  public RootKeyChange {
    requireNonNull(from, "from");
    requireNonNull(to, "to");
    if (!from.matches("rk-[0-9a-f]{16}") || !to.matches("rk-[0-9a-f]{16}") || from.equals(to)) {
      throw new KeyturnException.InvalidInput(
          "a root key rotation goes from one key id to another");
    }
  }

  /** The setting's value. */
  public String wire() {
    return from + " " + to;
  }

  /**
   * Parses the setting's value.
   *
   * @throws KeyturnException.IntegrityFailure if it is not one (the row was edited)
   */
  public static Optional<RootKeyChange> parse(Optional<String> setting) {
    if (setting.isEmpty()) {
      return Optional.empty();
    }
    String[] parts = setting.get().split(" ", -1);
    try {
      if (parts.length == 2) {
        return Optional.of(new RootKeyChange(parts[0], parts[1]));
      }
    } catch (KeyturnException.InvalidInput e) {
      // reported below
    }
    throw new KeyturnException.IntegrityFailure(
        "setting " + SETTING, "is not a root key rotation record (it was edited outside Keyturn)");
  }
}
