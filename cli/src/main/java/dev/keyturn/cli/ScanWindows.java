package dev.keyturn.cli;

import java.util.Arrays;

/**
 * A set of window digests, each pointing at the strings (and offsets in them) that have a window
 * with that digest: a bit filter answers most probes with one memory access, and only its hits look
 * in the table. The filter of the 8-byte windows sets two bits of one word per digest (a blocked
 * Bloom filter): with one bit, a window that is common in the text (a run of spaces) passed the
 * filter at every occurrence for about one request key in three, halving the scan's rate. The
 * 4-byte windows, probed twice as often and far fewer, get one bit in a filter four times as large
 * per entry instead, which the scan tests with fewer instructions. Immutable once built; safe to
 * share between threads.
 */
final class ScanWindows {
  /**
   * Filter words: a digest's bits are in word {@code d >>> shift}: bit {@code (d >>> bitShift) &
   * 63} and, unless {@link #oneBit}, {@code (d >>> (bitShift - 6)) & 63} (all from the digest's
   * high bits, the best mixed).
   */
  final long[] filter;

  /** Whether each digest sets one filter bit (else two). */
  final boolean oneBit;

  final int shift;
  final int bitShift;
  private final int[] slotDigest;
  private final int[] slotFrom;
  private final int[] slotTo;
  private final int slotShift;

  /** Which string each entry belongs to, and at which offset of it the window starts. */
  final int[] string;

  final int[] offset;

  /**
   * Builds the set from {@code count} entries: digest, string index and offset; {@code oneBit} for
   * one filter bit per digest.
   */
  ScanWindows(int[] digests, int[] strings, int[] offsets, int count, boolean oneBit) {
    // Two bits: at least 128 filter bits per entry, up to 8 Mbit (1 MiB): a probe of a word that
    // is in no string passes the filter about 1 time in 2,000 (both its bits set) for the first
    // 65,000 windows. One bit: at least 512 per entry, up to 2 Mbit (256 KiB): a probe passes
    // about 1 time in 500 for the first 4,000 windows. The digest's 32 bits cover word, first and
    // second bit up to 8 Mbit.
    this.oneBit = oneBit;
    int logBits = 12;
    int perEntry = oneBit ? 512 : 128;
    int maxLogBits = oneBit ? 21 : 23;
    while (logBits < maxLogBits && (1L << logBits) < (long) perEntry * count) {
      logBits++;
    }
    filter = new long[1 << (logBits - 6)];
    shift = 32 - (logBits - 6);
    bitShift = shift - 6;
    // Sorted by digest, then entry: each packed as digest << 32 | entry (a primitive sort; boxed
    // entries and a comparator took most of the index's build time in a fresh JVM).
    long[] order = new long[count];
    for (int i = 0; i < count; i++) {
      order[i] = ((long) digests[i] << 32) | i;
    }
    Arrays.sort(order);
    string = new int[count];
    offset = new int[count];
    int unique = 0;
    for (int i = 0; i < count; i++) {
      int entry = (int) order[i];
      string[i] = strings[entry];
      offset[i] = offsets[entry];
      if (i == 0 || (order[i] >>> 32) != (order[i - 1] >>> 32)) {
        unique++;
      }
    }
    int logSlots = 4;
    while ((1 << logSlots) < 2 * unique) {
      logSlots++;
    }
    slotShift = 32 - logSlots;
    slotDigest = new int[1 << logSlots];
    slotFrom = new int[1 << logSlots];
    slotTo = new int[1 << logSlots];
    int i = 0;
    while (i < count) {
      int d = (int) (order[i] >>> 32);
      int j = i;
      while (j < count && (int) (order[j] >>> 32) == d) {
        j++;
      }
      filter[d >>> shift] |= oneBit ? 1L << (d >>> bitShift) : mask(d, bitShift);
      int slot = (d * 0x9E3779B9) >>> slotShift;
      while (slotTo[slot] != 0) {
        slot = (slot + 1) & (slotTo.length - 1);
      }
      slotDigest[slot] = d;
      slotFrom[slot] = i;
      slotTo[slot] = j;
      i = j;
    }
  }

  /** The two filter bits of {@code d} in its word (the same bit twice for some digests). */
  static long mask(int d, int bitShift) {
    return (1L << (d >>> bitShift)) | (1L << (d >>> (bitShift - 6)));
  }

  /** Whether the filter lets {@code d} through (it may still be absent). */
  boolean mayHold(int d) {
    if (oneBit) {
      return ((filter[d >>> shift] >>> (d >>> bitShift)) & 1) != 0;
    }
    long m = mask(d, bitShift);
    return (filter[d >>> shift] & m) == m;
  }

  /**
   * The entries with digest {@code d}: {@code [from, to)} packed as {@code from << 32 | to}, or 0
   * when there are none.
   */
  long entries(int d) {
    int slot = (d * 0x9E3779B9) >>> slotShift;
    while (slotTo[slot] != 0) {
      if (slotDigest[slot] == d) {
        return ((long) slotFrom[slot] << 32) | slotTo[slot];
      }
      slot = (slot + 1) & (slotTo.length - 1);
    }
    return 0;
  }
}
