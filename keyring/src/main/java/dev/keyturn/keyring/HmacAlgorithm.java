package dev.keyturn.keyring;

import java.util.Locale;

/** The HMAC hash functions {@code openssl dgst -sha256|-sha384|-sha512 -hmac} computes. */
public enum HmacAlgorithm {
  SHA256("HmacSHA256", 32),
  SHA384("HmacSHA384", 48),
  SHA512("HmacSHA512", 64);

  private final String jcaName;
  private final int macLength;

  HmacAlgorithm(String jcaName, int macLength) {
    this.jcaName = jcaName;
    this.macLength = macLength;
  }

  /**
   * The algorithm named {@code sha256}, {@code sha384} or {@code sha512} (case-insensitive).
   *
   * @throws IllegalArgumentException for any other name
   */
  public static HmacAlgorithm of(String name) {
    for (HmacAlgorithm a : values()) {
      if (a.name().equalsIgnoreCase(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown HMAC algorithm (use sha256, sha384 or sha512)");
  }

  /** The JCA name, e.g. {@code HmacSHA256}. */
  public String jcaName() {
    return jcaName;
  }

  /** The MAC's length in bytes. */
  public int macLength() {
    return macLength;
  }

  /** The lower-case name, e.g. {@code sha256}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
