package dev.keyturn.core.crypto;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Shamir's secret sharing in the format of {@code ssss} 0.5 (Debian's package), so that {@code
 * ssss-combine -t K} rebuilds a secret from shares made here, and shares made by {@code ssss-split
 * -t K -n N} (without {@code -D}) combine here.
 *
 * <p>As ssss does: a secret of L bytes (8 to 128) is an element of GF(2^(8L)) after ssss's
 * diffusion layer (an XTEA-based permutation of the bytes, so that fewer than K shares say nothing
 * even about parts of the secret); the polynomial has that element as its constant term and K-1
 * random coefficients, and share i is its value at the element i plus i^K (ssss's Horner adds that
 * term; its combine takes it off). A share is written {@code i-HEX}: i padded with zeros to the
 * width of N, HEX the value as 2L lower-case hex digits. {@code TOKEN-i-HEX} (ssss's {@code -w}) is
 * read too.
 *
 * <p>Stateless and thread-safe. Intermediate arrays are zeroed; the caller owns and should zero the
 * secret it passes and the one {@link #combine} returns.
 */
public final class Shamir {
  public static final int MAX_SHARES = 255;
  private static final Pattern SHARE =
      Pattern.compile("^\\s*(?:[^-\\s]{1,128}-)?0*([1-9][0-9]{0,2})-([0-9a-fA-F]{2,256})\\s*$");

  private Shamir() {}

  /**
   * One share taken apart: its index (the x coordinate, 1 to {@link #MAX_SHARES}), the field's
   * degree in bits (4 times the number of hex digits) and its value, which {@link #destroy} zeroes.
   * {@code toString} shows the index only.
   */
  public static final class Share {
    private final int index;
    private final int degree;
    private final byte[] value;

    private Share(int index, int degree, byte[] value) {
      this.index = index;
      this.degree = degree;
      this.value = value;
    }

    /**
     * Parses {@code [TOKEN-]i-HEX} (surrounding white space ignored).
     *
     * @throws KeyturnException.InvalidInput naming no part of the text
     */
    public static Share parse(CharSequence text) {
      requireNonNull(text, "share");
      Matcher m = SHARE.matcher(text);
      if (!m.find() || (m.end(2) - m.start(2)) % 2 != 0) {
        throw new KeyturnException.InvalidInput(
            "a share is INDEX-HEX as ssss-split prints it (index 1 to "
                + MAX_SHARES
                + ", an even number of hex digits)");
      }
      // Read through the CharSequence, never a String of it: the text may be a view of bytes that
      // the caller zeroes (a sealed server's request body).
      int index = 0;
      for (int i = m.start(1); i < m.end(1); i++) {
        index = 10 * index + Character.digit(text.charAt(i), 10);
      }
      if (index > MAX_SHARES) {
        throw new KeyturnException.InvalidInput("a share's index is 1 to " + MAX_SHARES);
      }
      int digits = m.end(2) - m.start(2);
      byte[] value = new byte[digits / 2];
      for (int i = 0; i < value.length; i++) {
        int at = m.start(2) + 2 * i;
        value[i] =
            (byte)
                (Character.digit(text.charAt(at), 16) << 4
                    | Character.digit(text.charAt(at + 1), 16));
      }
      return new Share(index, 4 * digits, value);
    }

    public int index() {
      return index;
    }

    public int degree() {
      return degree;
    }

    /** Whether {@code other} is the same share (same index and value), in constant time. */
    public boolean sameAs(Share other) {
      return index == other.index && MessageDigest.isEqual(value, other.value);
    }

    /** A copy of this share with a value of its own (to search with while this one may go). */
    public Share copy() {
      return new Share(index, degree, value.clone());
    }

    /** Zeroes the value. */
    public void destroy() {
      Arrays.fill(value, (byte) 0);
    }

    @Override
    public String toString() {
      return "Share[" + index + "]";
    }
  }

  /**
   * Splits {@code secret} into {@code shares} shares, any {@code threshold} of which rebuild it.
   */
  public static List<String> split(byte[] secret, int shares, int threshold, SecureRandom random) {
    requireNonNull(secret, "secret");
    requireNonNull(random, "random");
    if (secret.length < 8 || secret.length > BinaryField.MAX_DEGREE / 8) {
      throw new KeyturnException.InvalidInput(
          "a secret to split is 8 to " + BinaryField.MAX_DEGREE / 8 + " bytes");
    }
    if (threshold < 2 || shares < threshold || shares > MAX_SHARES) {
      throw new KeyturnException.InvalidInput(
          "shares need 2 <= threshold <= shares <= "
              + MAX_SHARES
              + " (got threshold "
              + threshold
              + ", shares "
              + shares
              + ")");
    }
    BinaryField field = new BinaryField(8 * secret.length);
    byte[] diffused = secret.clone();
    Diffusion.encode(diffused);
    long[][] coefficients = new long[threshold][];
    coefficients[0] = field.fromBytes(diffused);
    Arrays.fill(diffused, (byte) 0);
    byte[] random16 = new byte[secret.length];
    for (int i = 1; i < threshold; i++) {
      random.nextBytes(random16);
      coefficients[i] = field.fromBytes(random16);
    }
    Arrays.fill(random16, (byte) 0);
    int width = Integer.toString(shares).length();
    List<String> out = new ArrayList<>(shares);
    for (int i = 1; i <= shares; i++) {
      long[] x = field.ofInt(i);
      // ssss's Horner: x^K + c[K-1] x^(K-1) + ... + c[0].
      long[] y = x.clone();
      for (int j = threshold - 1; j > 0; j--) {
        BinaryField.addInto(y, coefficients[j]);
        long[] next = field.multiply(y, x);
        Arrays.fill(y, 0);
        y = next;
      }
      BinaryField.addInto(y, coefficients[0]);
      byte[] value = field.toBytes(y);
      Arrays.fill(y, 0);
      out.add(String.format("%0" + width + "d", i) + "-" + HexFormat.of().formatHex(value));
      Arrays.fill(value, (byte) 0);
    }
    for (long[] c : coefficients) {
      Arrays.fill(c, 0);
    }
    return List.copyOf(out);
  }

  /**
   * Rebuilds the secret from exactly the threshold's number of shares, as {@code ssss-combine -t
   * shares.size()} does, with leading zero bytes dropped as ssss prints it. Wrong shares give a
   * wrong secret, not an error: check the result against something known.
   *
   * @throws KeyturnException.InvalidInput for a malformed share, fewer than 2 shares, shares of
   *     different lengths or two with one index
   */
  public static byte[] combine(List<String> shares) {
    requireNonNull(shares, "shares");
    List<Share> parsed = new ArrayList<>();
    try {
      for (String share : shares) {
        parsed.add(Share.parse(share));
      }
      return combineShares(parsed);
    } finally {
      parsed.forEach(Share::destroy);
    }
  }

  /** As {@link #combine}, from parsed shares (which it leaves as they are). */
  public static byte[] combineShares(List<Share> parsed) {
    requireNonNull(parsed, "shares");
    if (parsed.size() < 2) {
      throw new KeyturnException.InvalidInput("at least 2 shares are needed");
    }
    int degree = parsed.get(0).degree;
    BinaryField field;
    try {
      field = new BinaryField(degree);
    } catch (IllegalArgumentException e) {
      throw new KeyturnException.InvalidInput("a share's value has an invalid length");
    }
    int k = parsed.size();
    long[][] xs = new long[k][];
    long[][] ys = new long[k][];
    try {
      for (int i = 0; i < k; i++) {
        Share p = parsed.get(i);
        if (p.degree != degree) {
          throw new KeyturnException.InvalidInput("the shares have different lengths");
        }
        for (int j = 0; j < i; j++) {
          if (parsed.get(j).index == p.index) {
            throw new KeyturnException.InvalidInput("two shares have index " + p.index);
          }
        }
        xs[i] = field.ofInt(p.index);
        ys[i] = field.fromBytes(p.value);
        // Take off the x^K term ssss's split adds.
        long[] power = field.ofInt(1);
        for (int j = 0; j < k; j++) {
          long[] next = field.multiply(power, xs[i]);
          Arrays.fill(power, 0);
          power = next;
        }
        BinaryField.addInto(ys[i], power);
      }
      long[] secret = interpolateAtZero(field, xs, ys);
      byte[] bytes = field.toBytes(secret);
      Arrays.fill(secret, 0);
      Diffusion.decode(bytes);
      int lead = 0;
      while (lead < bytes.length && bytes[lead] == 0) {
        lead++;
      }
      byte[] out = Arrays.copyOfRange(bytes, lead, bytes.length);
      Arrays.fill(bytes, (byte) 0);
      return out;
    } finally {
      for (long[] y : ys) {
        if (y != null) {
          Arrays.fill(y, 0);
        }
      }
    }
  }

  /** Lagrange at 0; in characteristic 2, x_j - x_i is x_j + x_i. */
  private static long[] interpolateAtZero(BinaryField field, long[][] xs, long[][] ys) {
    long[] sum = new long[field.words];
    for (int i = 0; i < xs.length; i++) {
      long[] numerator = field.ofInt(1);
      long[] denominator = field.ofInt(1);
      for (int j = 0; j < xs.length; j++) {
        if (j != i) {
          numerator = field.multiply(numerator, xs[j]);
          long[] difference = xs[j].clone();
          BinaryField.addInto(difference, xs[i]);
          denominator = field.multiply(denominator, difference);
        }
      }
      long[] term = field.multiply(ys[i], field.multiply(numerator, field.invert(denominator)));
      BinaryField.addInto(sum, term);
      Arrays.fill(term, 0);
    }
    return sum;
  }
}
