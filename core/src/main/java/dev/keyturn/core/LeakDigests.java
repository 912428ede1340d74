package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keyed digests a leak scan compares file contents with ({@code POST /v1/fingerprints}, {@code
 * keyturn scan}): the server computes them for each value under a key it makes for one request, and
 * the scanner computes the same functions over the bytes it reads, so values never leave the
 * server.
 *
 * <p>Wire contract (docs/api.md "Fingerprints"): with the request's 32-byte key {@code K},
 *
 * <ul>
 *   <li>a value's digest is HMAC-SHA256(K, bytes);
 *   <li>the window keys {@code k0} and {@code k1} are the first two little-endian 64-bit words of
 *       HMAC-SHA256(K, "keyturn scan windows"), {@code k1} with its lowest bit set;
 *   <li>an 8-byte window read as a little-endian 64-bit {@code x} digests to the high 32 bits of
 *       {@code (x ^ k0) * k1} (modulo 2^64) ({@link #window8});
 *   <li>a 4-byte window read as an unsigned little-endian 32-bit {@code y} digests to the low 32
 *       bits of {@code (y ^ k0) * k1} ({@link #window4}).
 * </ul>
 *
 * One multiplication of an 8-byte word gives the digests of the word and of its first 4 bytes, so a
 * scanner digests every word it reads with few instructions; a window digest only points at
 * candidates, which the HMAC of the whole string confirms. A window can be guessed offline from its
 * digest and the key, so a set of them is as sensitive as the value: whoever holds one is treated
 * as having read it. Not thread-safe (one HMAC instance); make one per thread from the same key.
 */
public final class LeakDigests {
  /** Key length in bytes. */
  public static final int KEY_BYTES = 32;

  /** A value shorter than this is not searched for: too many chance matches. */
  public static final int MIN_LENGTH = 8;

  /**
   * Encodings of this length or more are indexed by 8-byte windows, shorter ones by 4-byte windows:
   * a scanner probing aligned 8-byte words at a stride of 8 meets a whole 8-byte window of any
   * string of at least 15 bytes, and probing 4-byte words at a stride of 4, a whole 4-byte window
   * of any string of at least 7.
   */
  public static final int WIDE_FROM = 15;

  private static final byte[] WINDOW_LABEL =
      "keyturn scan windows".getBytes(StandardCharsets.US_ASCII);

  private final Mac mac;
  private final long k0;
  private final long k1;

  /** Digests under {@code key} (32 bytes), which this object copies. */
  public LeakDigests(byte[] key) {
    requireNonNull(key, "key");
    if (key.length != KEY_BYTES) {
      throw new KeyturnException.InvalidInput("a fingerprint key has " + KEY_BYTES + " bytes");
    }
    try {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("HMAC-SHA256 is unavailable", e);
    }
    ByteBuffer words = ByteBuffer.wrap(mac.doFinal(WINDOW_LABEL)).order(ByteOrder.LITTLE_ENDIAN);
    k0 = words.getLong();
    k1 = words.getLong() | 1;
  }

  /** HMAC-SHA256 of {@code bytes[from, from + length)}. */
  public byte[] digest(byte[] bytes, int from, int length) {
    mac.update(bytes, from, length);
    return mac.doFinal();
  }

  /** HMAC-SHA256 of the {@code length} bytes of {@code buffer} from {@code from}. */
  public byte[] digest(ByteBuffer buffer, int from, int length) {
    mac.update(buffer.duplicate().limit(from + length).position(from));
    return mac.doFinal();
  }

  /** The digest of an 8-byte window, read little-endian. */
  public int window8(long x) {
    return (int) (((x ^ k0) * k1) >>> 32);
  }

  /** The digest of a 4-byte window, read little-endian. */
  public int window4(int y) {
    return (int) (((y & 0xffffffffL) ^ k0) * k1);
  }

  /**
   * The window keys {@code k0, k1}, for a scanner that computes {@link #window8} and {@link
   * #window4} inline in its loop.
   */
  public long[] windowKeys() {
    return new long[] {k0, k1};
  }

  /** The window width this string is indexed by: 8 from {@link #WIDE_FROM} bytes, else 4. */
  public static int windowWidth(int length) {
    return length >= WIDE_FROM ? 8 : 4;
  }

  /**
   * The digests of the first windows of {@code bytes} of {@link #windowWidth} bytes, one per offset
   * from 0 to {@code width - 1}, each 4 bytes big-endian; empty when the string is shorter than
   * {@link #MIN_LENGTH}. A scanner probing aligned words at a stride of {@code width} meets one of
   * them inside every occurrence, so windows further in would only help someone guessing the value
   * offline.
   */
  public byte[] windows(byte[] bytes) {
    if (bytes.length < MIN_LENGTH) {
      return new byte[0];
    }
    int width = windowWidth(bytes.length);
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    // MIN_LENGTH and WIDE_FROM make every string at least 2 * width - 1 bytes long: width windows.
    ByteBuffer out = ByteBuffer.allocate(4 * width);
    for (int i = 0; i < width; i++) {
      out.putInt(width == 8 ? window8(in.getLong(i)) : window4(in.getInt(i)));
    }
    return out.array();
  }
}
