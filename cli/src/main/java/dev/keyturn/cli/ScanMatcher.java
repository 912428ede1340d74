package dev.keyturn.cli;

import dev.keyturn.core.LeakDigests;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.security.MessageDigest;

/**
 * Finds the strings of a {@link ScanIndex} in a buffer, byte-exact at any offset, each occurrence
 * once. It reads the buffer as aligned 8-byte words at a stride of 8 and digests each: the first
 * aligned word inside an occurrence of a string of 15 bytes or more starts at one of its offsets 0
 * to 7, whose window digests the index holds. When shorter strings are looked for, both 4-byte
 * halves of each word are probed the same way (a string of 7 bytes or more holds one aligned half).
 * A probe that passes the filter is confirmed by the digest of its first window and then by the
 * HMAC of the whole candidate. One per thread (it holds an HMAC instance).
 */
final class ScanMatcher {
  /** Where confirmed occurrences go: the string's index in {@link ScanIndex#targets} and offset. */
  interface Hits {
    void hit(int target, long offset);
  }

  private final ScanIndex index;
  private final ScanIndex.Target[] targets;
  private final LeakDigests digests;
  private final long[] keys;

  /**
   * Bytes per block of {@link #words}: a chunk of {@link ScanJob#MANAGED_CHUNK}, a multiple of 16.
   */
  private static final int BLOCK = 128 << 10;

  /** The aligned words of the block being scanned. */
  private final long[] words = new long[BLOCK >>> 3];

  ScanMatcher(ScanIndex index) {
    this.index = index;
    this.targets = index.targets.toArray(ScanIndex.Target[]::new);
    this.digests = index.digests();
    this.keys = digests.windowKeys();
  }

  /**
   * Looks through {@code buffer[0, n)} (little-endian order), which starts at {@code base} in its
   * file; occurrences that do not end inside the buffer are not reported (a caller reading a file
   * in chunks overlaps them by the longest string).
   */
  void scan(ByteBuffer buffer, int n, long base, Hits hits) {
    // The loop reads the aligned words from an array, copied in bulk a block at a time: started
    // from the launcher's AOT cache, whose training replays C1's unprofiled compilation of the
    // JDK's buffer methods, C2 kept DirectByteBuffer.getLong out of the loop, a call per word and a
    // third of the scanning thread's time (docs/performance.md).
    LongBuffer view = buffer.duplicate().clear().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
    for (int from = 0; ; from += BLOCK) {
      int to = Math.min(n, from + BLOCK);
      view.get(from >>> 3, words, 0, (to - from) >>> 3);
      scan(buffer, n, from, to, base, hits);
      if (to == n) {
        return;
      }
    }
  }

  /**
   * Looks through {@code [from, to)}, whose aligned words are in {@link #words}; the last block
   * ({@code to == n}) also looks at the bytes after the last pair of words.
   */
  private void scan(ByteBuffer buffer, int n, int from, int to, long base, Hits hits) {
    long[] words = this.words;
    // The window digests of LeakDigests, inline: this loop runs once per 8 bytes read.
    long k0 = keys[0];
    long k1 = keys[1];
    long[] wideFilter = index.wide.filter;
    int wideShift = index.wide.shift;
    int wideBitShift = index.wide.bitShift;
    int i = from;
    if (index.hasNarrow()) {
      long[] narrowFilter = index.narrow.filter;
      int narrowShift = index.narrow.shift;
      int narrowBitShift = index.narrow.bitShift;
      // Two words per turn: their multiplications and filter loads overlap.
      for (; i + 16 <= to; i += 16) {
        long x = words[(i - from) >>> 3];
        long y = words[((i - from) >>> 3) + 1];
        long p = (x ^ k0) * k1;
        long q = (y ^ k0) * k1;
        int xw = (int) (p >>> 32);
        int xlo = (int) p;
        int xhi = (int) (((x >>> 32) ^ k0) * k1);
        int yw = (int) (q >>> 32);
        int ylo = (int) q;
        int yhi = (int) (((y >>> 32) ^ k0) * k1);
        long mxw = ScanWindows.mask(xw, wideBitShift);
        long myw = ScanWindows.mask(yw, wideBitShift);
        // The narrow filter has one bit per digest: the four probes' bits ORed, tested once.
        long narrow =
            (narrowFilter[xlo >>> narrowShift] >>> (xlo >>> narrowBitShift))
                | (narrowFilter[xhi >>> narrowShift] >>> (xhi >>> narrowBitShift))
                | (narrowFilter[ylo >>> narrowShift] >>> (ylo >>> narrowBitShift))
                | (narrowFilter[yhi >>> narrowShift] >>> (yhi >>> narrowBitShift));
        // Non-short-circuit |: one branch for the six probes, almost never taken.
        if ((wideFilter[xw >>> wideShift] & mxw) == mxw
            | (wideFilter[yw >>> wideShift] & myw) == myw
            | (narrow & 1) != 0) {
          word(buffer, n, i, base, hits);
          word(buffer, n, i + 8, base, hits);
        }
      }
      if (to == n && i + 8 <= n) {
        word(buffer, n, i, base, hits);
        i += 8;
      }
      if (to == n && i + 4 <= n) {
        confirmIf(index.narrow, digests.window4(buffer.getInt(i)), buffer, n, i, base, hits);
      }
    } else {
      for (; i + 16 <= to; i += 16) {
        int xw = (int) (((words[(i - from) >>> 3] ^ k0) * k1) >>> 32);
        int yw = (int) (((words[((i - from) >>> 3) + 1] ^ k0) * k1) >>> 32);
        long mxw = ScanWindows.mask(xw, wideBitShift);
        long myw = ScanWindows.mask(yw, wideBitShift);
        if ((wideFilter[xw >>> wideShift] & mxw) == mxw
            | (wideFilter[yw >>> wideShift] & myw) == myw) {
          word(buffer, n, i, base, hits);
          word(buffer, n, i + 8, base, hits);
        }
      }
      if (to == n && i + 8 <= n) {
        word(buffer, n, i, base, hits);
      }
    }
  }

  /** Confirms every window of the word at {@code at} that passes its filter. */
  private void word(ByteBuffer buffer, int n, int at, long base, Hits hits) {
    long x = buffer.getLong(at);
    confirmIf(index.wide, digests.window8(x), buffer, n, at, base, hits);
    if (index.hasNarrow()) {
      confirmIf(index.narrow, digests.window4((int) x), buffer, n, at, base, hits);
      confirmIf(index.narrow, digests.window4((int) (x >>> 32)), buffer, n, at + 4, base, hits);
    }
  }

  private void confirmIf(
      ScanWindows set, int digest, ByteBuffer buffer, int n, int at, long base, Hits hits) {
    if (set.mayHold(digest)) {
      confirm(set, digest, buffer, n, at, base, hits);
    }
  }

  private void confirm(
      ScanWindows set, int digest, ByteBuffer buffer, int n, int at, long base, Hits hits) {
    long entries = set.entries(digest);
    int from = (int) (entries >>> 32);
    int to = (int) entries;
    for (int e = from; e < to; e++) {
      int t = set.string[e];
      ScanIndex.Target target = targets[t];
      int start = at - set.offset[e];
      if (start < 0 || start + target.length() > n) {
        continue;
      }
      int first =
          target.width() == 8
              ? digests.window8(buffer.getLong(start))
              : digests.window4(buffer.getInt(start));
      if (first == target.firstWindow()
          && MessageDigest.isEqual(
              digests.digest(buffer, start, target.length()), target.digest())) {
        hits.hit(t, base + start);
      }
    }
  }
}
