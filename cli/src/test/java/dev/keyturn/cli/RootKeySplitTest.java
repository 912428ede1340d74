package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.testing.TestServices;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyturn root-key split} checked against the reference tools: {@code ssss-combine} rebuilds
 * the key file's line from every 3 of 5 shares and not from 2; {@code zbarimg} reads each QR code
 * back to its share.
 */
class RootKeySplitTest {
  @TempDir Path dir;

  record Run(int code, String out, String err) {}

  private Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env,
            dir,
            dir,
            false);
    int code = KeyturnCli.run(io, args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private RootKey keyInDataFolder() throws IOException {
    RootKey key = RootKey.generate(new SecureRandom());
    Path data = Files.createDirectories(dir.resolve("keyturn-data"));
    Files.writeString(data.resolve("root.key"), key.toBase64Line());
    return key;
  }

  @Test
  void ssssCombine_rebuildsTheKeyLine_fromEveryThreeOfFive_andZbarimgReadsEachQrCode()
      throws Exception {
    RootKey key = keyInDataFolder();
    String line = key.toBase64Line().strip();

    Run r = run(Map.of(), "root-key", "split", "--shares", "5", "--threshold", "3", "--qr", "qr");

    assertThat(r.code()).as(r.err()).isZero();
    List<String> shares = r.out().lines().toList();
    assertThat(shares).hasSize(5).allMatch(s -> s.matches("[1-5]-[0-9a-f]{88}"));
    assertThat(r.out() + r.err()).doesNotContain(line);
    assertThat(r.err()).contains(key.id());
    for (List<String> three : subsets(shares, 3)) {
      assertThat(tool(String.join("\n", three) + "\n", "ssss-combine", "-Q", "-t", "3"))
          .isEqualTo(line);
      assertThat(RootKey.fromShares(three).id()).isEqualTo(key.id());
    }
    for (List<String> two : subsets(shares, 2)) {
      assertThat(tool(String.join("\n", two) + "\n", "ssss-combine", "-Q", "-t", "2"))
          .isNotEqualTo(line);
    }
    Path qr = dir.resolve("qr");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(qr)))
        .isEqualTo("rwx------");
    for (String share : shares) {
      Path png = qr.resolve("share-" + share.charAt(0) + ".png");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(png)))
          .isEqualTo("rw-------");
      assertThat(tool("", "zbarimg", "--quiet", "--raw", png.toString())).isEqualTo(share);
    }
  }

  @Test
  void keySources_flagThenEnvironmentThenDataFolder() throws Exception {
    RootKey inData = keyInDataFolder();
    RootKey inEnv = RootKey.generate(new SecureRandom());
    RootKey inFile = RootKey.generate(new SecureRandom());
    Path file = dir.resolve("other.key");
    Files.writeString(file, inFile.toBase64Line());
    Path envFile = dir.resolve("env.key");
    Files.writeString(envFile, inEnv.toBase64Line());

    Run fromData = run(Map.of(), "root-key", "split", "--shares", "3", "--threshold", "2");
    Run fromEnv =
        run(
            Map.of("KEYTURN_ROOT_KEY_FILE", envFile.toString()),
            "root-key",
            "split",
            "--shares",
            "3",
            "--threshold",
            "2");
    Run fromFlag =
        run(
            Map.of("KEYTURN_ROOT_KEY_FILE", envFile.toString()),
            "root-key",
            "split",
            "--shares",
            "3",
            "--threshold",
            "2",
            "--key-file",
            file.toString());

    assertThat(RootKey.fromShares(fromData.out().lines().limit(2).toList()).id())
        .isEqualTo(inData.id());
    assertThat(RootKey.fromShares(fromEnv.out().lines().limit(2).toList()).id())
        .isEqualTo(inEnv.id());
    assertThat(RootKey.fromShares(fromFlag.out().lines().limit(2).toList()).id())
        .isEqualTo(inFile.id());
  }

  @Test
  void badArguments_oneLineOnStderr_nothingWritten() throws Exception {
    keyInDataFolder();
    Files.createDirectories(dir.resolve("qr"));
    Files.writeString(dir.resolve("qr/share-2.png"), "mine");
    Map<String, String> env = new HashMap<>();

    List<Run> runs = new ArrayList<>();
    runs.add(run(env, "root-key", "split", "--shares", "5", "--threshold", "1"));
    runs.add(run(env, "root-key", "split", "--shares", "2", "--threshold", "3"));
    runs.add(run(env, "root-key", "split", "--shares", "256", "--threshold", "3"));
    runs.add(run(env, "root-key", "split", "--shares", "3", "--threshold", "2", "--qr", "qr"));
    runs.add(
        run(env, "root-key", "split", "--shares", "3", "--threshold", "2", "--data", "missing"));
    Files.writeString(dir.resolve("bad.key"), "not base64 !!\n");
    runs.add(
        run(
            env,
            "root-key",
            "split",
            "--shares",
            "3",
            "--threshold",
            "2",
            "--key-file",
            "bad.key"));
    Files.createSymbolicLink(dir.resolve("link.key"), dir.resolve("keyturn-data/root.key"));
    runs.add(
        run(
            env,
            "root-key",
            "split",
            "--shares",
            "3",
            "--threshold",
            "2",
            "--key-file",
            "link.key"));

    for (Run r : runs) {
      assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.ERROR);
      assertThat(r.out()).isEmpty();
      assertThat(r.err().lines()).hasSize(1);
      assertThat(r.err()).startsWith("keyturn: ");
    }
    try (var files = Files.list(dir.resolve("qr"))) {
      assertThat(files.map(p -> p.getFileName().toString()).toList())
          .containsExactly("share-2.png");
    }
    assertThat(Files.readString(dir.resolve("qr/share-2.png"))).isEqualTo("mine");
  }

  static <T> List<List<T>> subsets(List<T> items, int k) {
    List<List<T>> out = new ArrayList<>();
    int n = items.size();
    for (int mask = 0; mask < 1 << n; mask++) {
      if (Integer.bitCount(mask) == k) {
        List<T> chosen = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          if ((mask & 1 << i) != 0) {
            chosen.add(items.get(i));
          }
        }
        out.add(chosen);
      }
    }
    return out;
  }

  /**
   * Runs a reference tool: ssss prints the secret on stderr, so both streams are read; zbarimg
   * prints D-Bus complaints on stderr, so only its standard output is.
   */
  static String tool(String input, String... command) throws Exception {
    Process p;
    try {
      ProcessBuilder builder = new ProcessBuilder(command);
      if (command[0].equals("zbarimg")) {
        builder.redirectError(ProcessBuilder.Redirect.DISCARD);
      } else {
        builder.redirectErrorStream(true);
      }
      p = builder.start();
    } catch (IOException e) {
      TestServices.unavailable(command[0] + " (packages ssss, zbar-tools)", e);
      throw new AssertionError("unreachable");
    }
    p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out.strip();
  }
}
