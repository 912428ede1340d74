package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * The forms in which a leaked value is looked for, and the byte string each form of a value is
 * found by. Every string is one that appears, byte for byte, wherever the value does in that form:
 *
 * <ul>
 *   <li>{@code raw}: the value's bytes;
 *   <li>{@code base64}, {@code base64+1}, {@code base64+2}: standard base64 of a blob in which the
 *       value starts at a byte offset of 0, 1 or 2 modulo 3. The characters that also depend on the
 *       blob's bytes before or after the value are left out: the string is the base64 of the value
 *       less its first {@code (3 - a) % 3} bytes, cut after the last character made only of the
 *       value's bits;
 *   <li>{@code url}: percent-encoded as in a URL's password, every byte other than {@code A-Z a-z
 *       0-9 - . _ ~} as {@code %XX} with upper-case hex; absent when that changes nothing.
 * </ul>
 */
public enum LeakEncoding {
  RAW("raw"),
  BASE64_0("base64"),
  BASE64_1("base64+1"),
  BASE64_2("base64+2"),
  URL("url");

  private final String wireName;

  LeakEncoding(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /** The encoding with this wire name. */
  public static LeakEncoding ofWire(String name) {
    requireNonNull(name, "name");
    for (LeakEncoding e : values()) {
      if (e.wireName.equals(name)) {
        return e;
      }
    }
    throw new KeyturnException.InvalidInput(
        "unknown encoding (known: raw, base64, base64+1, base64+2, url)");
  }

  /**
   * The family a user names ({@code raw}, {@code base64}, {@code url}) this encoding is part of.
   */
  public String family() {
    return switch (this) {
      case RAW -> "raw";
      case BASE64_0, BASE64_1, BASE64_2 -> "base64";
      case URL -> "url";
    };
  }

  /**
   * The string {@code value} is found by in this encoding, if it has one other than the raw one.
   */
  public Optional<byte[]> encode(byte[] value) {
    requireNonNull(value, "value");
    return switch (this) {
      case RAW -> Optional.of(value.clone());
      case BASE64_0 -> Optional.of(base64(value, 0));
      case BASE64_1 -> Optional.of(base64(value, 2));
      case BASE64_2 -> Optional.of(base64(value, 1));
      case URL -> percent(value);
    };
  }

  private static byte[] base64(byte[] value, int skip) {
    if (value.length <= skip) {
      return new byte[0];
    }
    byte[] rest = Arrays.copyOfRange(value, skip, value.length);
    byte[] encoded = Base64.getEncoder().withoutPadding().encode(rest);
    int whole = rest.length / 3 * 4;
    // Of a last group of one byte, only the first character is the value's alone (6 of 8 bits);
    // of two bytes, the first two characters (12 of 16 bits).
    int tail = rest.length % 3;
    int keep = whole + tail;
    Arrays.fill(rest, (byte) 0);
    byte[] out = Arrays.copyOf(encoded, keep);
    Arrays.fill(encoded, (byte) 0);
    return out;
  }

  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

  private static Optional<byte[]> percent(byte[] value) {
    byte[] out = new byte[value.length * 3];
    int n = 0;
    for (byte b : value) {
      int c = b & 0xff;
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        out[n++] = b;
      } else {
        out[n++] = '%';
        out[n++] = HEX[c >>> 4];
        out[n++] = HEX[c & 0xf];
      }
    }
    if (n == value.length) {
      Arrays.fill(out, (byte) 0);
      return Optional.empty();
    }
    byte[] encoded = Arrays.copyOf(out, n);
    Arrays.fill(out, (byte) 0);
    return Optional.of(encoded);
  }
}
