package dev.keyturn.keyring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HMAC byte-identical to {@code openssl dgst -sha256|-sha384|-sha512 -hmac "$SECRET"} over 1,000
 * random binary bodies from 0 B to 1 MiB (most small, some ending in newlines), under keys that are
 * empty, longer than a hash block, or not ASCII, in hex and in {@code -binary}, whose base64 is
 * checked against {@code base64}. openssl reads every body of a key in one call per output form
 * (with {@code -binary} it writes the MACs one after another, each the hash's length).
 */
class HmacOpensslTest {
  private static final int BODIES = 1000;
  private static final String OPENSSL =
      "k=$(cat \"$1\"); a=$2; shift 2; exec openssl dgst \"-$a\" -hmac \"$k\" \"$@\"";
  private static final String OPENSSL_BINARY =
      "k=$(cat \"$1\"); a=$2; shift 2; exec openssl dgst \"-$a\" -hmac \"$k\" -binary \"$@\"";
  private static final String OPENSSL_BASE64 =
      "k=$(cat \"$1\"); a=$2; shift 2; for f; do openssl dgst \"-$a\" -hmac \"$k\" -binary \"$f\""
          + " | base64 -w0; echo; done";

  /** Bodies per key and algorithm whose base64 comes from {@code base64} itself, one by one. */
  private static final int BASE64_EACH = 4;

  @TempDir Path dir;

  @Test
  void sign_thousandBodies_matchesOpensslHexAndBase64() throws Exception {
    ReferenceTools.requireOpenssl();
    List<String> keys =
        List.of(
            "",
            "Jefe",
            "k\u00e9y \u20ac \"quoted\" ;$(x) " + "0123456789abcdef".repeat(12),
            "4f0a0e4a3b2c1d".repeat(3));
    Random random = new Random(4231);
    List<List<Path>> bodiesByKey = new ArrayList<>();
    for (int k = 0; k < keys.size(); k++) {
      bodiesByKey.add(new ArrayList<>());
    }
    for (int i = 0; i < BODIES; i++) {
      Path file = dir.resolve("body" + i);
      Files.write(file, body(random, i));
      bodiesByKey.get(i % keys.size()).add(file);
    }

    for (int k = 0; k < keys.size(); k++) {
      Path keyFile = dir.resolve("key" + k);
      Files.write(keyFile, keys.get(k).getBytes(StandardCharsets.UTF_8));
      HmacKeyring ring =
          HmacKeyring.of("t/K", List.of(KeyVersion.text(1, KeyStage.CURRENT, keys.get(k))));
      List<Path> files = bodiesByKey.get(k);
      for (HmacAlgorithm a : HmacAlgorithm.values()) {
        List<String> hex = lines(openssl(OPENSSL, keyFile, a, files), files.size());
        byte[] binary = openssl(OPENSSL_BINARY, keyFile, a, files).out();
        List<String> base64 =
            lines(openssl(OPENSSL_BASE64, keyFile, a, files.subList(0, BASE64_EACH)), BASE64_EACH);
        int length = binary.length / files.size();
        assertThat(binary).hasSize(length * files.size());
        for (int i = 0; i < files.size(); i++) {
          byte[] mac = ring.sign(a, Files.readAllBytes(files.get(i)));
          String line = hex.get(i);
          assertThat(line.substring(line.lastIndexOf(' ') + 1))
              .as("%s key %d %s", a, k, files.get(i).getFileName())
              .isEqualTo(HmacEncoding.HEX.encode(mac));
          assertThat(Arrays.copyOfRange(binary, i * length, (i + 1) * length))
              .as("%s key %d %s, -binary", a, k, files.get(i).getFileName())
              .isEqualTo(mac);
          if (i < BASE64_EACH) {
            assertThat(base64.get(i)).isEqualTo(HmacEncoding.BASE64.encode(mac));
          }
        }
        // Every -binary MAC of this key, base64-encoded by base64 and by the SDK, in one piece.
        ReferenceTools.Result encoded = ReferenceTools.run(List.of("base64", "-w0"), binary);
        assertThat(encoded.exit()).as(encoded.err()).isZero();
        assertThat(encoded.text().strip()).isEqualTo(Base64.getEncoder().encodeToString(binary));
      }
    }
  }

  /** Mostly under 4 KiB; every 100th up to 1 MiB; the first empty, the second exactly 1 MiB. */
  private static byte[] body(Random random, int i) {
    int size =
        i == 0
            ? 0
            : i == 1 ? 1 << 20 : i % 100 == 7 ? random.nextInt(1 << 20) : random.nextInt(4096);
    byte[] body = new byte[size];
    random.nextBytes(body);
    if (size >= 2 && i % 3 == 0) {
      body[size - 1] = '\n';
      if (i % 2 == 0) {
        body[size - 2] = i % 4 == 0 ? (byte) '\r' : (byte) '\n';
      }
    }
    return body;
  }

  private static ReferenceTools.Result openssl(
      String script, Path key, HmacAlgorithm a, List<Path> files) {
    List<String> command =
        new ArrayList<>(List.of("sh", "-c", script, "sh", key.toString(), a.wireName()));
    for (Path f : files) {
      command.add(f.toString());
    }
    ReferenceTools.Result r = ReferenceTools.run(command, new byte[0]);
    assertThat(r.exit()).as(r.err()).isZero();
    return r;
  }

  private static List<String> lines(ReferenceTools.Result r, int count) {
    List<String> lines = r.text().lines().toList();
    assertThat(lines).hasSize(count);
    return lines;
  }
}
