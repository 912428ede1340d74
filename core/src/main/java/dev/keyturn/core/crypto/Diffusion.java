package dev.keyturn.core.crypto;

import java.util.Arrays;

/**
 * ssss's diffusion layer: a keyless permutation of a secret of L &ge; 8 bytes (XTEA's round
 * function with a zero key over overlapping 8-byte windows, 40 L / 2 windows), applied to the
 * secret before splitting and undone after combining. ssss runs it on the number's bytes in 16-bit
 * words, least significant word first; {@link #encode} and {@link #decode} take the big-endian
 * bytes and do that reordering themselves. Works in place.
 */
final class Diffusion {
  private static final int DELTA = 0x9E3779B9;

  private Diffusion() {}

  static void encode(byte[] bigEndian) {
    byte[] v = toWords(bigEndian);
    int len = bigEndian.length;
    for (int i = 0; i < 40 * len; i += 2) {
      slice(v, i, len, true);
    }
    fromWords(v, bigEndian);
  }

  static void decode(byte[] bigEndian) {
    byte[] v = toWords(bigEndian);
    int len = bigEndian.length;
    for (int i = 40 * len - 2; i >= 0; i -= 2) {
      slice(v, i, len, false);
    }
    fromWords(v, bigEndian);
  }

  /**
   * The buffer ssss's {@code mpz_export(v, &t, -1, 2, 1, 0, x)} fills: 16-bit words, least
   * significant first, each word big-endian; for an odd length the top (lone) byte is moved down to
   * sit just below the end, as ssss does.
   */
  private static byte[] toWords(byte[] b) {
    int len = b.length;
    byte[] v = new byte[(len + 1) / 2 * 2];
    for (int k = 0; 2 * k < len; k++) {
      int lo = len - 1 - 2 * k;
      int hi = lo - 1;
      v[2 * k] = hi >= 0 ? b[hi] : 0;
      v[2 * k + 1] = b[lo];
    }
    if (len % 2 == 1) {
      v[len - 1] = v[len];
    }
    return v;
  }

  private static void fromWords(byte[] v, byte[] b) {
    int len = b.length;
    if (len % 2 == 1) {
      v[len] = v[len - 1];
      v[len - 1] = 0;
    }
    for (int k = 0; 2 * k < len; k++) {
      int lo = len - 1 - 2 * k;
      int hi = lo - 1;
      if (hi >= 0) {
        b[hi] = v[2 * k];
      }
      b[lo] = v[2 * k + 1];
    }
    Arrays.fill(v, (byte) 0);
  }

  private static void slice(byte[] data, int idx, int len, boolean forward) {
    int[] v = new int[2];
    for (int i = 0; i < 2; i++) {
      v[i] =
          (data[(idx + 4 * i) % len] & 0xff) << 24
              | (data[(idx + 4 * i + 1) % len] & 0xff) << 16
              | (data[(idx + 4 * i + 2) % len] & 0xff) << 8
              | (data[(idx + 4 * i + 3) % len] & 0xff);
    }
    if (forward) {
      encipher(v);
    } else {
      decipher(v);
    }
    for (int i = 0; i < 2; i++) {
      data[(idx + 4 * i) % len] = (byte) (v[i] >>> 24);
      data[(idx + 4 * i + 1) % len] = (byte) (v[i] >>> 16);
      data[(idx + 4 * i + 2) % len] = (byte) (v[i] >>> 8);
      data[(idx + 4 * i + 3) % len] = (byte) v[i];
    }
    v[0] = 0;
    v[1] = 0;
  }

  private static void encipher(int[] v) {
    int sum = 0;
    for (int i = 0; i < 32; i++) {
      v[0] += (((v[1] << 4) ^ (v[1] >>> 5)) + v[1]) ^ sum;
      sum += DELTA;
      v[1] += (((v[0] << 4) ^ (v[0] >>> 5)) + v[0]) ^ sum;
    }
  }

  private static void decipher(int[] v) {
    int sum = 0xC6EF3720;
    for (int i = 0; i < 32; i++) {
      v[1] -= (((v[0] << 4) ^ (v[0] >>> 5)) + v[0]) ^ sum;
      sum -= DELTA;
      v[0] -= (((v[1] << 4) ^ (v[1] >>> 5)) + v[1]) ^ sum;
    }
  }
}
