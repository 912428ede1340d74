package dev.keyturn.keyring;

import java.util.Base64;
import java.util.Locale;

/**
 * How a MAC is written as text: lower-case {@code hex} (as {@code openssl dgst -hmac} prints it),
 * {@code base64} (padded, as {@code openssl dgst -binary | base64}) or {@code base64url} (RFC 4648
 * §5, unpadded, as JOSE writes it).
 */
public enum HmacEncoding {
  HEX,
  BASE64,
  BASE64URL;

  private static final char[] DIGITS = "0123456789abcdef".toCharArray();

  /**
   * The encoding named {@code hex}, {@code base64} or {@code base64url} (case-insensitive).
   *
   * @throws IllegalArgumentException for any other name
   */
  public static HmacEncoding of(String name) {
    for (HmacEncoding e : values()) {
      if (e.name().equalsIgnoreCase(name)) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown encoding (use hex, base64 or base64url)");
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public String encode(byte[] mac) {
    switch (this) {
      case HEX:
        char[] out = new char[mac.length * 2];
        for (int i = 0; i < mac.length; i++) {
          out[2 * i] = DIGITS[(mac[i] >> 4) & 0xf];
          out[2 * i + 1] = DIGITS[mac[i] & 0xf];
        }
        return new String(out);
      case BASE64:
        return Base64.getEncoder().encodeToString(mac);
      default:
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac);
    }
  }

  /**
   * Reads a signature of {@code algorithm} written in any of the three encodings, told apart by
   * length: hex (either case), or base64 in either alphabet, padded or not.
   *
   * @throws KeyringException.MalformedSignature when it is none of them for that MAC length
   */
  public static byte[] decodeAny(String signature, HmacAlgorithm algorithm) {
    int length = algorithm.macLength();
    if (signature.length() == 2 * length) {
      byte[] out = new byte[length];
      for (int i = 0; i < length; i++) {
        int hi = Character.digit(signature.charAt(2 * i), 16);
        int lo = Character.digit(signature.charAt(2 * i + 1), 16);
        if (hi < 0 || lo < 0) {
          throw malformed(algorithm);
        }
        out[i] = (byte) (hi << 4 | lo);
      }
      return out;
    }
    String text = signature;
    while (text.endsWith("=")) {
      text = text.substring(0, text.length() - 1);
    }
    int unpadded = (length * 4 + 2) / 3;
    int padded = (length + 2) / 3 * 4;
    boolean padOk = signature.length() == unpadded || signature.length() == padded;
    if (text.length() != unpadded || !padOk) {
      throw malformed(algorithm);
    }
    boolean url = text.indexOf('-') >= 0 || text.indexOf('_') >= 0;
    try {
      byte[] out = (url ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(text);
      // a non-canonical last character would decode to the same bytes; refuse it
      if (!(url ? BASE64URL : BASE64).encode(out).startsWith(text)) {
        throw malformed(algorithm);
      }
      return out;
    } catch (IllegalArgumentException e) {
      throw malformed(algorithm);
    }
  }

  private static KeyringException.MalformedSignature malformed(HmacAlgorithm algorithm) {
    int length = algorithm.macLength();
    return new KeyringException.MalformedSignature(
        "malformed signature: HMAC-"
            + algorithm.name()
            + " needs "
            + 2 * length
            + " hex digits or the base64 of "
            + length
            + " bytes");
  }
}
