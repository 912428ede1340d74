package dev.keyturn.keyring;

/**
 * A token that a {@link JwtKeyring} refuses, with why: {@code alg: none}, a foreign algorithm, an
 * unknown or retired {@code kid}, a bad signature, {@code exp} or {@code nbf} beyond the leeway, or
 * a token that is not a signed JWT at all. The message never quotes the token.
 */
public final class JwtRejected extends KeyringException {
  private static final long serialVersionUID = 1L;

  public JwtRejected(String reason) {
    super(reason);
  }
}
