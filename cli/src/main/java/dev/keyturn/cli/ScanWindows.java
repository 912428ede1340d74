package dev.keyturn.cli;

import java.util.Arrays;

/**
 * A set of window digests, each pointing at the strings (and offsets in them) that have a window
 * with that digest: a bit filter answers most probes with one memory access, and only its hits look
 * in the table. The filter sets two bits of one word per digest (a blocked Bloom filter): with one
 * bit, a window that is common in the text (a run of spaces) passed the filter at every occurrence
 * for about one request key in three, halving the scan's rate. Immutable once built; safe to share
 * between threads.
 */
final class ScanWindows {
  /**
   * Filter words: a digest's bits are in word {@code d >>> shift}: bits {@code (d >>> bitShift) &
   * 63} and {@code (d >>> (bitShift - 6)) & 63} (all from the digest's high bits, the best mixed).
   */
  final long[] filter;

  final int shift;
  final int bitShift;
  private final int[] slotDigest;
  private final int[] slotFrom;
  private final int[] slotTo;
  private final int slotShift;

  /** Which string each entry belongs to, and at which offset of it the window starts. */
  final int[] string;

  final int[] offset;

  /** Builds the set from {@code count} entries: digest, string index and offset. */
  ScanWindows(int[] digests, int[] strings, int[] offsets, int count) {
    // At least 128 filter bits per entry, up to 8 Mbit (1 MiB): a probe of a word that is in no
    // string passes the filter about 1 time in 2,000 (both its bits set) for the first 65,000
    // windows. The digest's 32 bits cover word, first and second bit up to 8 Mbit.
    int logBits = 12;
    while (logBits < 23 && (1L << logBits) < 128L * count) {
      logBits++;
    }
    filter = new long[1 << (logBits - 6)];
    shift = 32 - (logBits - 6);
    bitShift = shift - 6;
    Integer[] order = new Integer[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Integer.compare(digests[a], digests[b]));
    string = new int[count];
    offset = new int[count];
    int unique = 0;
    for (int i = 0; i < count; i++) {
      string[i] = strings[order[i]];
      offset[i] = offsets[order[i]];
      if (i == 0 || digests[order[i]] != digests[order[i - 1]]) {
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
      int d = digests[order[i]];
      int j = i;
      while (j < count && digests[order[j]] == d) {
        j++;
      }
      filter[d >>> shift] |= mask(d, bitShift);
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
