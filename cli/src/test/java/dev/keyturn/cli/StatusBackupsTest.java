package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.WireJson;
import dev.keyturn.server.BackupSchedule;
import dev.keyturn.server.KeyturnServer;
import dev.keyturn.server.ServerConfig;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.Gpg;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyturn status} shows the server's scheduled backups under the board: {@code ok} with the
 * last file, or {@code failing} with the reason on stderr; {@code --json} gives them as {@code
 * backups}.
 */
class StatusBackupsTest {
  @TempDir Path work;

  record Run(int code, String out, String err) {}

  private Run run(KeyturnServer server, String token, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of("KEYTURN_ADDR", "http://127.0.0.1:" + server.port(), "KEYTURN_TOKEN", token),
            work,
            work,
            false);
    int code = KeyturnCli.run(io, args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private KeyturnServer server(String id, BackupSchedule schedule) {
    Path data = work.resolve(id);
    return KeyturnServer.start(
        ServerConfig.local(
                data, "127.0.0.1", 0, "jdbc:sqlite:" + data.resolve("keyturn.db"), Optional.empty())
            .toBuilder()
            .backups(Optional.of(schedule))
            .build(),
        Clock.systemUTC(),
        new SecureRandom());
  }

  private String token(String id) throws Exception {
    return Files.readString(work.resolve(id).resolve("root.token")).strip();
  }

  @Test
  void status_showsScheduledBackupsOkOrFailingWithTheReason() throws Exception {
    Path key;
    try (Gpg gpg = Gpg.in(work)) {
      gpg.generateKey("status@example.org", "rsa3072");
      key = gpg.exportPublic("status@example.org", work.resolve("status.asc"));
    }
    Path good = Files.createDirectories(work.resolve("good"));
    Path bad = Files.createDirectories(work.resolve("bad"));
    Path removed = Files.copy(key, work.resolve("removed.asc"));
    BackupSchedule working = BackupSchedule.of(good, "12h", 5, List.of(key), false).orElseThrow();
    BackupSchedule failing =
        BackupSchedule.of(bad, "12h", 5, List.of(removed), false).orElseThrow();
    Files.delete(removed);

    try (KeyturnServer ok = server("a", working);
        KeyturnServer broken = server("b", failing)) {
      Eventually.waitFor(
          Duration.ofSeconds(30),
          () -> run(ok, tokenOf("a"), "status").out().contains("scheduled backups: ok"));
      Eventually.waitFor(
          Duration.ofSeconds(30),
          () -> run(broken, tokenOf("b"), "status").out().contains("scheduled backups: failing"));
      Run okStatus = run(ok, token("a"), "status");
      Run brokenStatus = run(broken, token("b"), "status");
      Run json = run(broken, token("b"), "status", "--json");

      assertThat(okStatus.code()).isZero();
      assertThat(okStatus.out().lines().reduce((a, b) -> b).orElseThrow())
          .matches(
              "scheduled backups: ok, every 12h, last \\S+Z \\(keyturn-backup-\\d{8}T\\d{6}Z\\.pgp\\),"
                  + " next \\S+Z, 1 of 5 kept in "
                  + java.util.regex.Pattern.quote(good.toString()));
      assertThat(okStatus.err()).isEmpty();
      assertThat(brokenStatus.code()).isZero();
      assertThat(brokenStatus.out())
          .contains("scheduled backups: failing, every 12h, last none yet");
      assertThat(brokenStatus.err().lines().toList())
          .singleElement()
          .asString()
          .startsWith("keyturn: the scheduled backup failed at ")
          .contains("removed.asc is not an OpenPGP public key file");
      assertThat(WireJson.mapper().readTree(json.out()).get("backups").get("state").stringValue())
          .isEqualTo("failing");
    }
  }

  private String tokenOf(String id) {
    try {
      return token(id);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
