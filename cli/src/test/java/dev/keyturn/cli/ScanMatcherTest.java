package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.FingerprintPattern;
import dev.keyturn.api.FingerprintResponse;
import dev.keyturn.api.FingerprintVersion;
import dev.keyturn.core.LeakDigests;
import dev.keyturn.core.LeakEncoding;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The stride scheme of {@link ScanMatcher}: every string of 8 to 64 bytes is found at every offset
 * of a buffer (the probes only look at aligned words), exactly once, and nothing else is; a value
 * inside a base64 blob is found at all three alignments. Digests are made here as the server makes
 * them ({@link LeakDigests}, {@link LeakEncoding}), under a random key.
 */
class ScanMatcherTest {
  private final Random random = new Random(16);
  private final byte[] key = new byte[LeakDigests.KEY_BYTES];

  ScanMatcherTest() {
    random.nextBytes(key);
  }

  private FingerprintResponse fingerprints(List<byte[]> values, List<LeakEncoding> encodings) {
    return fingerprints(key, values, encodings);
  }

  /**
   * The fingerprint answer the server would give for {@code values} (secrets {@code t/V0}, {@code
   * t/V1}, ...) under {@code key}: each encoding of 8 bytes or more with its digest and windows.
   */
  static FingerprintResponse fingerprints(
      byte[] key, List<byte[]> values, List<LeakEncoding> encodings) {
    LeakDigests digests = new LeakDigests(key);
    List<FingerprintVersion> versions = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      byte[] value = values.get(i);
      List<FingerprintPattern> patterns = new ArrayList<>();
      for (LeakEncoding e : encodings) {
        byte[] s = e.encode(value).orElse(null);
        if (s != null && s.length >= LeakDigests.MIN_LENGTH) {
          patterns.add(
              new FingerprintPattern(
                  null,
                  e.wireName(),
                  s.length,
                  b64(digests.digest(s, 0, s.length)),
                  LeakDigests.windowWidth(s.length),
                  b64(digests.windows(s))));
        }
      }
      versions.add(
          new FingerprintVersion(
              "t/V" + i,
              1,
              "current",
              "string",
              value.length,
              b64(digests.digest(value, 0, value.length)),
              patterns,
              null));
    }
    return new FingerprintResponse("", b64(key), versions, 0);
  }

  private static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private byte[] randomText(int n) {
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      String alphabet = "abcdefghijklmnopqrstuvwxyz {}();=\n";
      out[i] = (byte) alphabet.charAt(random.nextInt(alphabet.length()));
    }
    return out;
  }

  private byte[] randomValue(int n) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      out[i] = (byte) alphabet.charAt(random.nextInt(alphabet.length()));
    }
    return out;
  }

  private static List<long[]> scan(ScanIndex index, byte[] content) {
    ByteBuffer buffer = ByteBuffer.allocateDirect(content.length).order(ByteOrder.LITTLE_ENDIAN);
    buffer.put(content);
    List<long[]> hits = new ArrayList<>();
    new ScanMatcher(index).scan(buffer, content.length, 0, (t, at) -> hits.add(new long[] {t, at}));
    return hits;
  }

  @Test
  void everyLengthAtEveryOffset_isFoundOnceAtItsOffset() {
    for (int length = 8; length <= 64; length++) {
      byte[] value = randomValue(length);
      ScanIndex index = new ScanIndex(fingerprints(List.of(value), List.of(LeakEncoding.RAW)));
      for (int offset = 0; offset < 24; offset++) {
        byte[] content = randomText(offset + length + random.nextInt(9));
        System.arraycopy(value, 0, content, offset, length);

        List<long[]> hits = scan(index, content);

        assertThat(hits).as("length %d at %d", length, offset).hasSize(1);
        assertThat(hits.get(0)[1]).isEqualTo(offset);
      }
    }
  }

  @Test
  void stringsAcrossTheMatchersBlocks_areFoundOnceAtTheirOffsets() {
    // The matcher copies the buffer's words into an array 128 KiB at a time: strings that straddle
    // a block's end, and short and long ones in a buffer's last bytes, are found all the same.
    byte[] shortValue = randomValue(9);
    byte[] longValue = randomValue(33);
    ScanIndex index =
        new ScanIndex(fingerprints(List.of(shortValue, longValue), List.of(LeakEncoding.RAW)));
    int block = 128 << 10;
    for (int size : List.of(block, block + 13, 3 * block + 7)) {
      byte[] content = randomText(size);
      List<Integer> offsets = new ArrayList<>();
      for (int at : List.of(block - 5, block - 20, 2 * block - 1, size - 9, size - 42)) {
        byte[] value =
            at == size - 9 || at == block - 5 || at == 2 * block - 1 ? shortValue : longValue;
        if (at >= 0
            && at + value.length <= size
            && offsets.stream().allMatch(o -> Math.abs(o - at) > 40)) {
          System.arraycopy(value, 0, content, at, value.length);
          offsets.add(at);
        }
      }

      List<long[]> hits = scan(index, content);

      assertThat(hits.stream().map(h -> (int) h[1]).sorted().toList())
          .as("buffer of %d bytes", size)
          .isEqualTo(offsets.stream().sorted().toList());
    }
  }

  @Test
  void everyEncodingOfEveryLengthAtEveryOffset_isFoundOnceAtItsOffset() {
    // The answer sends only each string's first windows (offsets 0 to width-1): every occurrence
    // of every encoded form must still meet one of them, whatever its offset modulo the stride.
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+=&?:@ -_~.";
    for (int length = 8; length <= 40; length++) {
      byte[] value = new byte[length];
      for (int i = 0; i < length; i++) {
        value[i] = (byte) alphabet.charAt(random.nextInt(alphabet.length()));
      }
      value[length / 2] = '@';
      ScanIndex index = new ScanIndex(fingerprints(List.of(value), List.of(LeakEncoding.values())));
      byte[] url = LeakEncoding.URL.encode(value).orElseThrow();
      for (int offset = 0; offset < 16; offset++) {
        for (byte[] plant : List.of(value, url)) {
          byte[] content = randomText(offset + plant.length + random.nextInt(9));
          System.arraycopy(plant, 0, content, offset, plant.length);

          List<long[]> hits = scan(index, content);

          String encoding = plant == value ? "raw" : "url";
          assertThat(hits).as("%s length %d at %d", encoding, length, offset).hasSize(1);
          assertThat(hits.get(0)[1]).isEqualTo(offset);
          assertThat(index.targets.get((int) hits.get(0)[0]).encoding()).isEqualTo(encoding);
        }
        for (int align = 0; align < 3; align++) {
          byte[] blob = new byte[align + length + 2];
          random.nextBytes(blob);
          System.arraycopy(value, 0, blob, align, length);
          byte[] b64 = Base64.getEncoder().encode(blob);
          byte[] content = randomText(offset + b64.length + random.nextInt(9));
          System.arraycopy(b64, 0, content, offset, b64.length);

          List<long[]> hits = scan(index, content);

          String encoding = List.of("base64", "base64+1", "base64+2").get(align);
          assertThat(hits).as("%s length %d at %d", encoding, length, offset).hasSize(1);
          assertThat(hits.get(0)[1]).isEqualTo(offset + (align == 0 ? 0 : 4));
          assertThat(index.targets.get((int) hits.get(0)[0]).encoding()).isEqualTo(encoding);
        }
      }
    }
  }

  @Test
  void answerOfAServerThatSendsEveryWindow_isStillUsed() {
    // Servers before the answer was cut to each string's first windows sent one per offset.
    byte[] value = randomValue(40);
    LeakDigests digests = new LeakDigests(key);
    ByteBuffer all = ByteBuffer.allocate(4 * (value.length - 7));
    ByteBuffer in = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i + 8 <= value.length; i++) {
      all.putInt(digests.window8(in.getLong(i)));
    }
    FingerprintResponse answer = fingerprints(List.of(value), List.of(LeakEncoding.RAW));
    FingerprintPattern p = answer.versions().get(0).patterns().get(0);
    FingerprintVersion v = answer.versions().get(0);
    FingerprintResponse old =
        new FingerprintResponse(
            answer.prefix(),
            answer.key(),
            List.of(
                new FingerprintVersion(
                    v.name(),
                    v.version(),
                    v.stage(),
                    v.type(),
                    v.length(),
                    v.digest(),
                    List.of(
                        new FingerprintPattern(
                            p.field(),
                            p.encoding(),
                            p.length(),
                            p.digest(),
                            p.window(),
                            b64(all.array()))),
                    v.acceptUntil())),
            answer.unreadable());
    byte[] content = randomText(100);
    System.arraycopy(value, 0, content, 13, value.length);

    List<long[]> hits = scan(new ScanIndex(old), content);

    assertThat(hits).singleElement().satisfies(h -> assertThat(h[1]).isEqualTo(13));
  }

  @Test
  void noPlant_findsNothingInAMegabyte() {
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      values.add(randomValue(8 + random.nextInt(57)));
    }
    ScanIndex index = new ScanIndex(fingerprints(values, List.of(LeakEncoding.values())));

    assertThat(scan(index, randomText(1 << 20))).isEmpty();
  }

  @Test
  void valueInsideABase64Blob_isFoundAtEachAlignment() {
    byte[] value = "db-password-Zk29xQ".getBytes(StandardCharsets.US_ASCII);
    ScanIndex index = new ScanIndex(fingerprints(List.of(value), List.of(LeakEncoding.values())));
    for (int before = 0; before < 6; before++) {
      byte[] blob = new byte[before + value.length + 5];
      random.nextBytes(blob);
      System.arraycopy(value, 0, blob, before, value.length);
      byte[] text =
          ("data: " + Base64.getEncoder().encodeToString(blob) + "\n")
              .getBytes(StandardCharsets.US_ASCII);

      List<long[]> hits = scan(index, text);

      assertThat(hits).as("value at blob offset %d", before).hasSize(1);
      String expected = List.of("base64", "base64+1", "base64+2").get(before % 3);
      assertThat(index.targets.get((int) hits.get(0)[0]).encoding()).isEqualTo(expected);
    }
  }

  @Test
  void shortValue_isNotSearchedAndIsReported() {
    ScanIndex index =
        new ScanIndex(
            fingerprints(
                List.of("abc1234".getBytes(StandardCharsets.US_ASCII)), List.of(LeakEncoding.RAW)));

    assertThat(index.targets).isEmpty();
    assertThat(index.unsearched)
        .singleElement()
        .satisfies(u -> assertThat(u.length()).isEqualTo(7));
  }
}
