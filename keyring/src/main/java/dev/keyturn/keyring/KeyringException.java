package dev.keyturn.keyring;

/**
 * What the keyrings throw: one subclass per decision a caller makes. Messages name the secret and
 * version, never a value, key or plaintext.
 */
public class KeyringException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  KeyringException(String message) {
    super(message);
  }

  KeyringException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A version's value cannot serve as a key of this kind (a JSON value, not a Fernet key ...). */
  public static final class InvalidKey extends KeyringException {
    private static final long serialVersionUID = 1L;

    public InvalidKey(String message) {
      super(message);
    }
  }

  /** The keyring has no version to sign or encrypt with (no current version, or none at all). */
  public static final class NoCurrentVersion extends KeyringException {
    private static final long serialVersionUID = 1L;

    public NoCurrentVersion(String message) {
      super(message);
    }
  }

  /** A signature that is not the encoding of a MAC of the expected length. */
  public static final class MalformedSignature extends KeyringException {
    private static final long serialVersionUID = 1L;

    public MalformedSignature(String message) {
      super(message);
    }
  }

  /**
   * A Fernet token that no version opens, is malformed, or is outside its time window. The message
   * is {@code invalid token} only, as in Python {@code cryptography}: which check failed is not
   * told.
   */
  public static final class InvalidToken extends KeyringException {
    private static final long serialVersionUID = 1L;

    public InvalidToken() {
      super("invalid token");
    }
  }
}
