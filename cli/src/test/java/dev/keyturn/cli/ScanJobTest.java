package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.LeakDigests;
import dev.keyturn.core.LeakEncoding;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ScanJob} reading real files in chunks ({@link ScanJob#MANAGED_CHUNK} when managed values
 * alone are looked for): a value across a chunk boundary at every offset, at the start and the end
 * of a file, two values overlapping, one value the prefix of another, and binary content. Each
 * occurrence is reported once, at its offset.
 */
class ScanJobTest {
  private final Random random = new Random(1616);
  private final byte[] key = new byte[LeakDigests.KEY_BYTES];

  @TempDir Path dir;

  ScanJobTest() {
    random.nextBytes(key);
  }

  private ScanIndex index(String... values) {
    List<byte[]> bytes =
        java.util.Arrays.stream(values).map(v -> v.getBytes(StandardCharsets.US_ASCII)).toList();
    return new ScanIndex(ScanMatcherTest.fingerprints(key, bytes, List.of(LeakEncoding.RAW)));
  }

  private byte[] text(int n) {
    String alphabet = "abcdefghijklmnopqrstuvwxyz    {}();=\n";
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      out[i] = (byte) alphabet.charAt(random.nextInt(alphabet.length()));
    }
    return out;
  }

  private static void plant(byte[] content, String value, int at) {
    byte[] v = value.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(v, 0, content, at, v.length);
  }

  /** The managed findings in {@code content} written to a file: "secret@offset", in order. */
  private List<String> scan(ScanIndex index, byte[] content) throws IOException {
    Path file = dir.resolve("f" + System.nanoTime());
    Files.write(file, content);
    ScanJob job = new ScanJob(Optional.of(index), false, 1);
    ScanSources.readFiles(List.of(new ScanJob.Doc("f", Optional.of(file), null, null)), job);
    Files.delete(file);
    return job.findings().stream().map(f -> f.secret() + "@" + f.offset()).toList();
  }

  @Test
  void valueAcrossAChunkBoundary_isFoundOnceAtEveryOffset() throws IOException {
    String shortValue = "Zq8#kP2!";
    String longValue = "Lx7-Vb3_Qw9+Er5=Ty1~Ui0^Op4*As6@";
    ScanIndex index = index(shortValue, longValue);
    int boundary = ScanJob.MANAGED_CHUNK;
    byte[] base = text(3 * boundary);
    for (String value : List.of(shortValue, longValue)) {
      String name = value.equals(shortValue) ? "t/V0" : "t/V1";
      for (int at = boundary - value.length() - 2; at <= boundary + 2; at++) {
        byte[] content = base.clone();
        plant(content, value, at);

        assertThat(scan(index, content)).as("%s at %d", name, at).containsExactly(name + "@" + at);
      }
    }
  }

  @Test
  void valuesAtTheStartAndTheEndOfAFile_areFound() throws IOException {
    String a = "Start-0Gh4$Jk8";
    String b = "End-9Mn3%Bv7&Cx1_Za";
    ScanIndex index = index(a, b);
    for (int size :
        List.of(b.length(), 100, ScanJob.MANAGED_CHUNK + 5, 2 * ScanJob.MANAGED_CHUNK)) {
      byte[] content = text(size);
      plant(content, b, size - b.length());
      if (size >= a.length() + b.length()) {
        plant(content, a, 0);
      }

      List<String> found = scan(index, content);

      if (size >= a.length() + b.length()) {
        assertThat(found)
            .as("size %d", size)
            .containsExactly("t/V0@0", "t/V1@" + (size - b.length()));
      } else {
        assertThat(found).as("size %d", size).containsExactly("t/V1@0");
      }
    }
  }

  @Test
  void overlappingValuesAndAPrefixOfAnother_areEachFound() throws IOException {
    String first = "Ov3rlap-Aa11Bb22";
    String second = "Bb22Cc33-tail#x9"; // starts inside the first's occurrence
    String prefix = "Ov3rlap-Aa1"; // a prefix of the first
    ScanIndex index = index(first, second, prefix);
    byte[] content = text(ScanJob.MANAGED_CHUNK + 4096);
    int at = ScanJob.MANAGED_CHUNK - 9;
    plant(content, first, at);
    plant(content, second, at + first.length() - 4);

    assertThat(scan(index, content))
        .containsExactly("t/V0@" + at, "t/V2@" + at, "t/V1@" + (at + first.length() - 4));
  }

  @Test
  void binaryContent_findsThePlantAndNothingElse() throws IOException {
    String value = "Bin4ry-Pl4nt-0x7f";
    ScanIndex index = index(value, "Zero\0\0\0\0Zero", "Other-Value-Not-There-42");
    byte[] content = new byte[3 * ScanJob.MANAGED_CHUNK + 17];
    random.nextBytes(content);
    java.util.Arrays.fill(content, 1000, 9000, (byte) 0);
    java.util.Arrays.fill(content, 9000, 17000, (byte) 0xff);
    int at = 2 * ScanJob.MANAGED_CHUNK - 3;
    plant(content, value, at);
    plant(content, "Zero\0\0\0\0Zero", 5000);

    assertThat(scan(index, content)).containsExactly("t/V1@5000", "t/V0@" + at);
  }
}
