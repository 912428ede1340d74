package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Secret material in memory. Never a record: it has no value-based {@code equals}, {@code hashCode}
 * or {@code toString} ({@code [redacted]}). The bytes leave only through {@link #reveal()}, a name
 * meant to be grepped for. Comparison is constant-time ({@link #sameAs}). Instances are immutable;
 * {@link #destroy()} zeroes the copy this object holds once the caller is done.
 */
public final class Plaintext {
  private final byte[] bytes;

  private Plaintext(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Copies {@code bytes}; the caller may wipe its array afterwards. */
  public static Plaintext copyOf(byte[] bytes) {
    return new Plaintext(requireNonNull(bytes, "bytes").clone());
  }

  /** Takes ownership of {@code bytes} without copying. */
  public static Plaintext wrap(byte[] bytes) {
    return new Plaintext(requireNonNull(bytes, "bytes"));
  }

  public static Plaintext ofUtf8(String text) {
    return new Plaintext(requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8));
  }

  /** A copy of the secret bytes. */
  public byte[] reveal() {
    return bytes.clone();
  }

  /** The secret as text. Throws {@link KeyturnException.InvalidInput} if it is not UTF-8. */
  public String revealUtf8() {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new KeyturnException.InvalidInput("the value is not UTF-8 text");
    }
  }

  public int length() {
    return bytes.length;
  }

  public boolean isEmpty() {
    return bytes.length == 0;
  }

  /** Constant-time comparison of the secret bytes. */
  public boolean sameAs(Plaintext other) {
    return MessageDigest.isEqual(bytes, requireNonNull(other, "other").bytes);
  }

  /** Zeroes this object's bytes. Later {@link #reveal()} calls return zeros. */
  public void destroy() {
    Arrays.fill(bytes, (byte) 0);
  }

  @Override
  public String toString() {
    return "[redacted]";
  }
}
