package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ScanWindows} with one and with two filter bits per digest: every digest added passes the
 * filter and finds its entries (equal digests together, in the order added), and digests not added
 * rarely pass and find none.
 */
class ScanWindowsTest {
  @Test
  void everyDigestAdded_passesAndFindsItsEntries_andOthersFindNone() {
    Random random = new Random(8);
    int count = 5000;
    int[] digests = new int[count];
    int[] strings = new int[count];
    int[] offsets = new int[count];
    for (int i = 0; i < count; i++) {
      digests[i] = i % 10 == 9 ? digests[i - 1] : random.nextInt();
      strings[i] = i;
      offsets[i] = i % 8;
    }
    for (boolean oneBit : new boolean[] {true, false}) {
      ScanWindows set = new ScanWindows(digests, strings, offsets, count, oneBit);
      for (int i = 0; i < count; i++) {
        assertThat(set.mayHold(digests[i])).isTrue();
        long entries = set.entries(digests[i]);
        int from = (int) (entries >>> 32);
        int to = (int) entries;
        int first = i % 10 == 9 ? i - 1 : i;
        int same = i % 10 == 8 || i % 10 == 9 ? 2 : 1;
        assertThat(to - from).as("entries of digest %d", i).isEqualTo(same);
        assertThat(set.string[from]).isEqualTo(first);
        assertThat(set.offset[to - 1]).isEqualTo((first + same - 1) % 8);
      }
      int passed = 0;
      for (int i = 0; i < 100_000; i++) {
        int d = random.nextInt();
        if (set.mayHold(d)) {
          passed++;
          if (java.util.Arrays.stream(digests).noneMatch(x -> x == d)) {
            assertThat(set.entries(d)).isZero();
          }
        }
      }
      assertThat(passed).as("one bit: %s", oneBit).isLessThan(oneBit ? 1000 : 200);
    }
  }
}
