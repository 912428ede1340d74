package dev.keyturn.keyring;

/**
 * A JWT keyring that cannot be used as asked: a generator that makes no JWT key, a version that is
 * not the key its generator makes, an algorithm the key does not allow, claims that are not a JSON
 * object, a lifetime beyond the grace. Messages name versions and settings, never a value.
 */
public final class JwtKeyringException extends KeyringException {
  private static final long serialVersionUID = 1L;

  public JwtKeyringException(String message) {
    super(message);
  }

  JwtKeyringException(String message, Throwable cause) {
    super(message, cause);
  }
}
