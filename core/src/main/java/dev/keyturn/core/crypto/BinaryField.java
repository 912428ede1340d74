package dev.keyturn.core.crypto;

import java.util.Arrays;

/**
 * GF(2^m) for m a multiple of 8 from 8 to 1024, with the irreducible polynomials {@code ssss} uses
 * (x^m + x^a + x^b + x^c + 1). Elements are {@code long[]} of {@link #words} words, least
 * significant first, so that callers can zero them; no operation keeps a reference to an argument.
 * Not thread-safe per element; the field itself is immutable.
 */
final class BinaryField {
  static final int MAX_DEGREE = 1024;

  /** The exponents a, b, c for m = 8, 16, ..., 1024 (ssss.c's table, which ssss 0.5 fixes). */
  private static final byte[] IRREDUCIBLE = {
    4, 3, 1, 5, 3, 1, 4, 3, 1, 7, 3, 2, 5, 4, 3, 5, 3, 2, 7, 4, 2, 4, 3, 1, 10, 9, 3, 9, 4, 2, 7, 6,
    2, 10, 9, 6, 4, 3, 1, 5, 4, 3, 4, 3, 1, 7, 2, 1, 5, 3, 2, 7, 4, 2, 6, 3, 2, 5, 3, 2, 15, 3, 2,
    11, 3, 2, 9, 8, 7, 7, 2, 1, 5, 3, 2, 9, 3, 1, 7, 3, 1, 9, 8, 3, 9, 4, 2, 8, 5, 3, 15, 14, 10,
    10, 5, 2, 9, 6, 2, 9, 3, 2, 9, 5, 2, 11, 10, 1, 7, 3, 2, 11, 2, 1, 9, 7, 4, 4, 3, 1, 8, 3, 1, 7,
    4, 1, 7, 2, 1, 13, 11, 6, 5, 3, 2, 7, 3, 2, 8, 7, 5, 12, 3, 2, 13, 10, 6, 5, 3, 2, 5, 3, 2, 9,
    5, 2, 9, 7, 2, 13, 4, 3, 4, 3, 1, 11, 6, 4, 18, 9, 6, 19, 18, 13, 11, 3, 2, 15, 9, 6, 4, 3, 1,
    16, 5, 2, 15, 14, 6, 8, 5, 2, 15, 11, 2, 11, 6, 2, 7, 5, 3, 8, 3, 1, 19, 16, 9, 11, 9, 6, 15, 7,
    6, 13, 4, 3, 14, 13, 3, 13, 6, 3, 9, 5, 2, 19, 13, 6, 19, 10, 3, 11, 6, 5, 9, 2, 1, 14, 3, 2,
    13, 3, 1, 7, 5, 4, 11, 9, 8, 11, 6, 5, 23, 16, 9, 19, 14, 6, 23, 10, 2, 8, 3, 2, 5, 4, 3, 9, 6,
    4, 4, 3, 2, 13, 8, 6, 13, 11, 1, 13, 10, 3, 11, 6, 5, 19, 17, 4, 15, 14, 7, 13, 9, 6, 9, 7, 3,
    9, 7, 1, 14, 3, 2, 11, 8, 2, 11, 6, 4, 13, 5, 2, 11, 5, 1, 11, 4, 1, 19, 10, 3, 21, 10, 6, 13,
    3, 1, 15, 7, 5, 19, 18, 10, 7, 5, 3, 12, 7, 2, 7, 5, 1, 14, 9, 6, 10, 3, 2, 15, 13, 12, 12, 11,
    9, 16, 9, 7, 12, 9, 3, 9, 5, 2, 17, 10, 6, 24, 9, 3, 17, 15, 13, 5, 4, 3, 19, 17, 8, 15, 6, 3,
    19, 6, 1
  };

  final int degree;
  final int words;
  private final long[] modulus;

  BinaryField(int degree) {
    if (!valid(degree)) {
      throw new IllegalArgumentException("no field of degree " + degree);
    }
    this.degree = degree;
    this.words = degree / 64 + 1;
    this.modulus = new long[words];
    int row = 3 * (degree / 8 - 1);
    setBit(modulus, degree);
    setBit(modulus, IRREDUCIBLE[row]);
    setBit(modulus, IRREDUCIBLE[row + 1]);
    setBit(modulus, IRREDUCIBLE[row + 2]);
    setBit(modulus, 0);
  }

  static boolean valid(int degree) {
    return degree >= 8 && degree <= MAX_DEGREE && degree % 8 == 0;
  }

  /** The element whose bits are the binary digits of {@code n}. */
  long[] ofInt(long n) {
    long[] e = new long[words];
    e[0] = n;
    return e;
  }

  /** The element of {@code degree / 8} big-endian bytes. */
  long[] fromBytes(byte[] bigEndian) {
    if (bigEndian.length != degree / 8) {
      throw new IllegalArgumentException("an element is " + degree / 8 + " bytes");
    }
    long[] e = new long[words];
    for (int i = 0; i < bigEndian.length; i++) {
      int bit = 8 * (bigEndian.length - 1 - i);
      e[bit / 64] |= (bigEndian[i] & 0xffL) << (bit % 64);
    }
    return e;
  }

  /** The element as {@code degree / 8} big-endian bytes. */
  byte[] toBytes(long[] e) {
    int n = degree / 8;
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      int bit = 8 * (n - 1 - i);
      out[i] = (byte) (e[bit / 64] >>> (bit % 64));
    }
    return out;
  }

  static void addInto(long[] z, long[] x) {
    for (int i = 0; i < z.length; i++) {
      z[i] ^= x[i];
    }
  }

  /** x * y, a new element. */
  long[] multiply(long[] x, long[] y) {
    long[] b = x.clone();
    long[] z = new long[words];
    if (bit(y, 0)) {
      System.arraycopy(b, 0, z, 0, words);
    }
    for (int i = 1; i < degree; i++) {
      shiftLeftOne(b);
      if (bit(b, degree)) {
        addInto(b, modulus);
      }
      if (bit(y, i)) {
        addInto(z, b);
      }
    }
    Arrays.fill(b, 0);
    return z;
  }

  /** 1 / x, a new element, by the extended Euclidean algorithm over GF(2)[X]. */
  long[] invert(long[] x) {
    if (isZero(x)) {
      throw new ArithmeticException("zero has no inverse");
    }
    int n = words + 1;
    long[] u = Arrays.copyOf(x, n);
    long[] v = Arrays.copyOf(modulus, n);
    long[] g = new long[n];
    long[] z = new long[n];
    z[0] = 1;
    long[] h = new long[n];
    while (!isOne(u)) {
      int i = bitLength(u) - bitLength(v);
      if (i < 0) {
        long[] t = u;
        u = v;
        v = t;
        t = z;
        z = g;
        g = t;
        i = -i;
      }
      shiftLeft(v, i, h);
      addInto(u, h);
      shiftLeft(g, i, h);
      addInto(z, h);
    }
    long[] result = Arrays.copyOf(z, words);
    for (long[] a : new long[][] {u, v, g, z, h}) {
      Arrays.fill(a, 0);
    }
    return result;
  }

  static boolean isZero(long[] e) {
    for (long w : e) {
      if (w != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isOne(long[] e) {
    if (e[0] != 1) {
      return false;
    }
    for (int i = 1; i < e.length; i++) {
      if (e[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static int bitLength(long[] e) {
    for (int i = e.length - 1; i >= 0; i--) {
      if (e[i] != 0) {
        return 64 * i + 64 - Long.numberOfLeadingZeros(e[i]);
      }
    }
    return 0;
  }

  private static void shiftLeft(long[] x, int by, long[] out) {
    int words = by / 64;
    int bits = by % 64;
    for (int i = out.length - 1; i >= 0; i--) {
      int from = i - words;
      long w = from >= 0 ? x[from] << bits : 0;
      if (bits != 0 && from - 1 >= 0) {
        w |= x[from - 1] >>> (64 - bits);
      }
      out[i] = w;
    }
  }

  private static void shiftLeftOne(long[] x) {
    for (int i = x.length - 1; i > 0; i--) {
      x[i] = (x[i] << 1) | (x[i - 1] >>> 63);
    }
    x[0] <<= 1;
  }

  static boolean bit(long[] e, int i) {
    return ((e[i / 64] >>> (i % 64)) & 1) != 0;
  }

  private static void setBit(long[] e, int i) {
    e[i / 64] |= 1L << (i % 64);
  }
}
