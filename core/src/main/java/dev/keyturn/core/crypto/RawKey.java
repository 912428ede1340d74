package dev.keyturn.core.crypto;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * A symmetric key whose bytes {@link #destroy} zeroes, for the JCA: {@code SecretKeySpec} keeps a
 * copy of its array that nothing can zero, so every one made for a root or data key would leave
 * that key in the heap once dropped, until the memory is reused. The JDK's providers zero the copy
 * {@link #getEncoded} hands them. {@code toString} never shows the key. Thread-safe for reads; the
 * owner destroys it once no one uses it.
 */
public final class RawKey implements SecretKey {
  private static final long serialVersionUID = 1L;

  private final transient byte[] key;
  private final String algorithm;
  private volatile boolean destroyed;

  /** Takes {@code key} as it is (not a copy): the caller hands it over. */
  public RawKey(byte[] key, String algorithm) {
    this.key = requireNonNull(key, "key");
    this.algorithm = requireNonNull(algorithm, "algorithm");
  }

  @Override
  public String getAlgorithm() {
    return algorithm;
  }

  @Override
  public String getFormat() {
    return "RAW";
  }

  /** A copy of the key, which the caller zeroes; throws once destroyed. */
  @Override
  public byte[] getEncoded() {
    if (destroyed) {
      throw new IllegalStateException("the key was destroyed");
    }
    return key.clone();
  }

  @Override
  public void destroy() {
    destroyed = true;
    Arrays.fill(key, (byte) 0);
  }

  @Override
  public boolean isDestroyed() {
    return destroyed;
  }

  @Override
  public String toString() {
    return "RawKey[redacted]";
  }

  /**
   * Re-keys each Mac of {@code macs} with zeroes, which overwrites the key pads it holds in place
   * (the JDK's HMAC does), and drops them.
   */
  public static void zeroMacs(java.util.Queue<javax.crypto.Mac> macs) {
    javax.crypto.Mac mac;
    while ((mac = macs.poll()) != null) {
      try {
        mac.init(new RawKey(new byte[32], mac.getAlgorithm()));
      } catch (java.security.InvalidKeyException e) {
        // Dropped all the same.
      }
    }
  }
}
