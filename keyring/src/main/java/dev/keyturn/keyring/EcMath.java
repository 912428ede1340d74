package dev.keyturn.keyring;

import java.security.GeneralSecurityException;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;

/**
 * The elliptic-curve arithmetic behind a {@link JwtKeyring}'s ES256 (P-256) and ES384 (P-384) keys,
 * when it should not be the JDK's: a short-lived process (the CLI) gives one backed by a library
 * whose first operation is cheap, since the JDK precomputes a table of 60 scalar multiplications
 * before its first P-256 operation in each JVM. Without one, a keyring uses the JDK (JCA and
 * Nimbus), as before. Implementations do the math with a well-kept library, never by hand, and must
 * be thread-safe.
 *
 * <p>Every method refuses a key that is not on the curve its parameters name (exactly P-256 or
 * P-384) with a {@link GeneralSecurityException}; the keyring turns that into a {@link
 * JwtKeyringException} naming the version, never the key.
 */
public interface EcMath {
  /** The public key of {@code key}: the curve's generator times the private scalar. */
  ECPublicKey publicKey(ECPrivateKey key) throws GeneralSecurityException;

  /**
   * The JWS signature (RFC 7518 section 3.4: R and S, each as long as the curve's order, one after
   * the other) of {@code signingInput} under {@code key}: ECDSA over SHA-256 on P-256 ({@code
   * ES256}), SHA-384 on P-384 ({@code ES384}).
   */
  byte[] sign(ECPrivateKey key, byte[] signingInput) throws GeneralSecurityException;

  /**
   * Whether {@code signature} is {@code key}'s JWS signature of {@code signingInput}, as {@link
   * #sign} makes it; false for a signature of the wrong length or with R or S out of range.
   */
  boolean verify(ECPublicKey key, byte[] signingInput, byte[] signature)
      throws GeneralSecurityException;
}
