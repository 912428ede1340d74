package dev.keyturn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.keyturn.core.KeyturnException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A thousand damaged backups (bit flips, truncations, swapped, duplicated and spliced packets, a
 * wrong passphrase, altered documents correctly encrypted): none is accepted, each is one {@link
 * KeyturnException} that names no value. Made with a cheap S2K count so that the test is quick; the
 * count is read from each file, so nothing else differs from a real backup.
 */
class DamagedBackupsTest {
  private static final char[] PASSPHRASE = "the backup passphrase".toCharArray();
  private static final int CHEAP_S2K = 0x60;

  static byte[] seal(byte[] document) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream sealed =
        OpenPgp.encryptWithPassphrase(out, PASSPHRASE, CHEAP_S2K, new SecureRandom())) {
      sealed.write(document);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toByteArray();
  }

  /** Offsets where the top-level packets of {@code message} start, and its end. */
  static List<Integer> packets(byte[] message) {
    List<Integer> starts = new ArrayList<>();
    int at = 0;
    while (at < message.length) {
      starts.add(at);
      int tag = message[at] & 0xFF;
      if ((tag & 0x40) == 0) {
        int type = tag & 3;
        int len =
            switch (type) {
              case 0 -> message[at + 1] & 0xFF;
              case 1 -> ((message[at + 1] & 0xFF) << 8) | (message[at + 2] & 0xFF);
              case 2 -> java.nio.ByteBuffer.wrap(message, at + 1, 4).getInt();
              default -> message.length - at - 1;
            };
        at += 1 + (type == 0 ? 1 : type == 1 ? 2 : type == 2 ? 4 : 0) + len;
        continue;
      }
      at++;
      while (true) {
        int first = message[at] & 0xFF;
        if (first < 192) {
          at += 1 + first;
          break;
        } else if (first < 224) {
          at += 2 + ((first - 192) << 8) + (message[at + 1] & 0xFF) + 192;
          break;
        } else if (first == 255) {
          at += 5 + java.nio.ByteBuffer.wrap(message, at + 1, 4).getInt();
          break;
        } else {
          at += 1 + (1 << (first & 0x1F));
        }
      }
    }
    starts.add(message.length);
    return starts;
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static void assertRefused(byte[] file, char[] passphrase, String what) {
    Throwable thrown =
        catchThrowable(() -> {
          BackupDocument parsed =
              BackupDocument.parse(OpenPgp.decrypt(new ByteArrayInputStream(file), passphrase));
          parsed.destroy();
        });

    assertThat(thrown)
        .as(what)
        .isInstanceOfAny(KeyturnException.CryptoFailure.class, KeyturnException.InvalidInput.class);
    assertThat(thrown.getMessage()).as(what).doesNotContain(Samples.CANARY);
  }

  @Test
  void thousandDamagedBackups_noneAccepted() {
    Random random = new Random(20261128);
    byte[] document = Samples.document(6);
    byte[] good = seal(document);
    List<Integer> starts = packets(good);
    assertThat(starts).as("SKESK, SEIPD, end").hasSize(3);
    byte[] skesk = Arrays.copyOfRange(good, starts.get(0), starts.get(1));
    byte[] seipd = Arrays.copyOfRange(good, starts.get(1), starts.get(2));
    byte[] other = seal(Samples.document(6));
    List<Integer> otherStarts = packets(other);
    byte[] otherSeipd = Arrays.copyOfRange(other, otherStarts.get(1), otherStarts.get(2));
    String text = new String(document, StandardCharsets.UTF_8);
    int tested = 0;

    for (int i = 0; i < 400; i++, tested++) {
      byte[] flipped = good.clone();
      int flips = 1 + random.nextInt(3);
      for (int f = 0; f < flips; f++) {
        flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
      }
      assertRefused(flipped, PASSPHRASE, "bit flips " + i);
    }
    for (int i = 0; i < 200; i++, tested++) {
      int keep = random.nextInt(good.length);
      assertRefused(Arrays.copyOf(good, keep), PASSPHRASE, "truncated to " + keep);
    }
    byte[][] spliced = {
      concat(skesk, skesk, seipd),
      concat(skesk, seipd, seipd),
      concat(seipd, skesk),
      concat(seipd),
      concat(skesk),
      concat(skesk, otherSeipd),
      concat(skesk, seipd, skesk),
      concat(skesk, seipd, new byte[] {0}),
      concat(skesk, seipd, other),
      concat(other, good),
    };
    for (int i = 0; i < 100; i++, tested++) {
      assertRefused(spliced[i % spliced.length], PASSPHRASE, "packets " + (i % spliced.length));
    }
    for (int i = 0; i < 100; i++, tested++) {
      char[] wrong = ("the backup passphrase" + (char) ('!' + i % 90)).toCharArray();
      if (i % 2 == 0) {
        wrong = Arrays.copyOf(PASSPHRASE, PASSPHRASE.length - 1 - i % 5);
      }
      assertRefused(good, wrong, "wrong passphrase " + i);
    }
    List<String> altered = new ArrayList<>();
    altered.add(text.replace(Samples.CANARY + "-new-1\"", Samples.CANARY + "-NEW-1\""));
    altered.add(text.replace("\"secret_count\":6", "\"secret_count\":5"));
    altered.add(text.replace("\"format_version\":1", "\"format_version\":2"));
    altered.add(text.replace("\"stage\":\"previous\"", "\"stage\":\"current\""));
    altered.add(text.replace("\"stage\":\"previous\"", "\"stage\":\"retired\""));
    altered.add(text.replace("\"name\":\"app/s2\"", "\"name\":\"app/s1\""));
    altered.add(text.replace("\"name\":\"app/s2\"", "\"name\":\"other/s2\""));
    altered.add(text.replace("\"name\":\"app/s2\"", "\"name\":\"app/../s2\""));
    altered.add(
        text.replace("\"type\":\"json\"", "\"type\":\"string\"")
            .replace(
                "\"type\":\"string\",\"created_at\":\"2026-11-01T00:00:01Z\"",
                "\"type\":\"json\",\"created_at\":\"2026-11-01T00:00:01Z\""));
    altered.add(text.replace("\"prefix\":\"app\"", "\"prefix\":\"app\",\"extra\":1"));
    altered.add(text.replace("\"version\":2,", "\"version\":3,"));
    altered.add(text.replace("\"accept_until\":null", "\"accept_until\":\"2027-01-01T00:00:00Z\""));
    altered.add(text.substring(0, text.length() - 1));
    for (int i = 0; i < 187; i++) {
      int cut = 1 + random.nextInt(text.length() - 2);
      altered.add(text.substring(0, cut));
    }
    for (String changed : altered) {
      assertThat(changed).isNotEqualTo(text);
      assertRefused(seal(changed.getBytes(StandardCharsets.UTF_8)), PASSPHRASE, "document");
      tested++;
    }

    assertThat(tested).isEqualTo(1000);
    assertThat(
            BackupDocument.parse(OpenPgp.decrypt(new ByteArrayInputStream(good), PASSPHRASE))
                .secrets())
        .hasSize(6);
  }
}
