package dev.keyturn.client;

import java.util.Locale;

/**
 * Where a version of a secret stands. {@link #PENDING}: stored, not yet live (verifiers accept it,
 * signers do not use it yet); {@link #CURRENT}: the one to use; {@link #PREVIOUS}: still accepted
 * until its {@code accept_until}; {@link #RETIRED}: no longer served.
 */
public enum Stage {
  /** Stored, not yet live. */
  PENDING,
  /** The version to sign, encrypt or connect with. */
  CURRENT,
  /** Replaced, still accepted until its {@code accept_until}. */
  PREVIOUS,
  /** No longer served; readable by number with {@code admin} only. */
  RETIRED;

  /** The wire name ({@code pending}, {@code current}, ...). */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The stage named {@code wire} on the wire.
   *
   * @throws KeyturnClientException with code {@code invalid_response} for a name this client does
   *     not know
   */
  public static Stage fromWire(String wire) {
    if (wire != null) {
      for (Stage s : values()) {
        if (s.wireName().equals(wire)) {
          return s;
        }
      }
    }
    throw new KeyturnClientException(
        0, "invalid_response", "the server named a stage this client does not know");
  }
}
