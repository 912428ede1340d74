package dev.keyturn.cli;

import dev.keyturn.api.FingerprintPattern;
import dev.keyturn.api.FingerprintResponse;
import dev.keyturn.api.FingerprintVersion;
import dev.keyturn.core.LeakDigests;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * What a scan looks for, built from one {@code POST /v1/fingerprints} answer: every string (a value
 * or a field of one, in one encoding) with its length and digest, and its first windows in two
 * {@link ScanWindows} sets: the 8-byte windows at offsets 0 to 7 of strings of 15 bytes or more,
 * and the 4-byte windows at offsets 0 to 3 of shorter ones. Holds the request's key and digests,
 * which are as sensitive as the values: memory only, never printed. Immutable; safe to share
 * between threads.
 */
final class ScanIndex {
  /** One string looked for. */
  record Target(
      String name,
      int version,
      String stage,
      String field,
      String encoding,
      int length,
      byte[] digest,
      int width,
      int firstWindow) {
    @Override
    public String toString() {
      return "Target[" + name + "#" + version + " " + encoding + "]";
    }
  }

  /** A version that was not searched: its value (or every secret field) is under 8 bytes. */
  record Unsearched(String name, int version, String stage, int length) {}

  private final byte[] key;
  final List<Target> targets;
  final ScanWindows wide;
  final ScanWindows narrow;
  final List<Unsearched> unsearched;
  final int unreadable;
  final int versions;

  /** The longest string: chunks of a file overlap by this much less one byte. */
  final int longest;

  ScanIndex(FingerprintResponse answer) {
    key = Base64.getDecoder().decode(answer.key());
    List<Target> all = new ArrayList<>();
    List<Unsearched> skipped = new ArrayList<>();
    Entries wideEntries = new Entries();
    Entries narrowEntries = new Entries();
    int max = 0;
    for (FingerprintVersion v : answer.versions()) {
      if (v.patterns().isEmpty()) {
        skipped.add(new Unsearched(v.name(), v.version(), v.stage(), v.length()));
        continue;
      }
      for (FingerprintPattern p : v.patterns()) {
        int width = p.window();
        if ((width != 8 && width != 4) || width != LeakDigests.windowWidth(p.length())) {
          throw new IllegalArgumentException("the server sent a window width this scan cannot use");
        }
        ByteBuffer windows = ByteBuffer.wrap(Base64.getDecoder().decode(p.windows()));
        // A server from before the answer was cut to the first windows sends one per offset: the
        // scan reads the first ones either way.
        if (windows.capacity() != 4 * width && windows.capacity() != 4 * (p.length() - width + 1)) {
          throw new IllegalArgumentException(
              "the server sent a pattern whose windows do not add up");
        }
        int index = all.size();
        all.add(
            new Target(
                v.name(),
                v.version(),
                v.stage(),
                p.field(),
                p.encoding(),
                p.length(),
                Base64.getDecoder().decode(p.digest()),
                width,
                windows.getInt(0)));
        // The scan probes every width-th offset (8-byte words at a stride of 8, 4-byte halves at a
        // stride of 4), so the first probe inside an occurrence meets the string at an offset
        // below the width: only those windows are indexed, and each occurrence is found once.
        Entries into = width == 8 ? wideEntries : narrowEntries;
        for (int offset = 0; offset < width && offset + width <= p.length(); offset++) {
          into.add(windows.getInt(4 * offset), index, offset);
        }
        max = Math.max(max, p.length());
      }
    }
    targets = List.copyOf(all);
    unsearched = List.copyOf(skipped);
    wide = wideEntries.build(false);
    narrow = narrowEntries.build(true);
    unreadable = answer.unreadable();
    versions = answer.versions().size();
    longest = max;
  }

  /** Digests under this index's key, for one thread. */
  LeakDigests digests() {
    return new LeakDigests(key);
  }

  /** Whether any string has 4-byte windows (the scan then probes every 4 bytes too). */
  boolean hasNarrow() {
    return narrow.offset.length > 0;
  }

  private static final class Entries {
    int[] digests = new int[1024];
    int[] strings = new int[1024];
    int[] offsets = new int[1024];
    int count;

    void add(int digest, int string, int offset) {
      if (count == digests.length) {
        digests = java.util.Arrays.copyOf(digests, count * 2);
        strings = java.util.Arrays.copyOf(strings, count * 2);
        offsets = java.util.Arrays.copyOf(offsets, count * 2);
      }
      digests[count] = digest;
      strings[count] = string;
      offsets[count] = offset;
      count++;
    }

    ScanWindows build(boolean oneBit) {
      return new ScanWindows(digests, strings, offsets, count, oneBit);
    }
  }
}
