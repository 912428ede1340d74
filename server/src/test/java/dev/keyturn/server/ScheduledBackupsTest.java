package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.BackupScheduleStatus;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.backup.BackupDocument;
import dev.keyturn.backup.BackupSecret;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.Gpg;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scheduled backups on a real server: the file a start writes is decrypted by gpg with the private
 * key of its recipient; old files are pruned to the newest N and no other file in the folder is
 * touched; a failure (the recipient file removed) shows in {@code /metrics}, on the status board,
 * in the audit log and as a {@code backup.fail} notification; the flags are checked at start; the
 * schedule's times on fixed instants.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScheduledBackupsTest {
  private static final String CANARY = "canary-scheduled-80be";

  @TempDir static Path dir;
  private Gpg gpg;
  private Path publicKey;
  private HttpServer receiver;
  private final List<String> notifications = new CopyOnWriteArrayList<>();

  @BeforeAll
  void keys() throws IOException {
    gpg = Gpg.in(dir);
    gpg.generateKey("backups@example.org", "ed25519");
    publicKey = gpg.exportPublic("backups@example.org", dir.resolve("backups.asc"));
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/",
        exchange -> {
          notifications.add(
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    receiver.start();
  }

  @AfterAll
  void stop() {
    receiver.stop(0);
    gpg.close();
  }

  private ServerConfig config(Path data, BackupSchedule schedule) {
    return RunningServer.config(data, Optional.empty()).toBuilder()
        .notifyUrl(
            "http://127.0.0.1:" + receiver.getAddress().getPort() + "/notify", Optional.empty())
        .backups(Optional.of(schedule))
        .build();
  }

  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static String metrics(RunningServer server) {
    return server.raw("GET", "/metrics", null, null).body();
  }

  @Test
  void start_withNoBackupYet_writesOneThatGpgDecryptsAndAuditsItAsTheSystem() throws Exception {
    Path data = dir.resolve("one");
    try (RunningServer plain = RunningServer.start(data)) {
      plain.client().put("app/A", new PutSecretRequest(CANARY + "-a1", null, null, null, null));
      plain.client().put("app/A", new PutSecretRequest(CANARY + "-a2", null, null, "24h", null));
      plain.client().put("db/B", new PutSecretRequest(CANARY + "-b", null, null, null, null));
    }
    Path folder = Files.createDirectories(dir.resolve("one-backups"));
    BackupSchedule schedule =
        BackupSchedule.of(folder, "24h", 3, List.of(publicKey), false).orElseThrow();

    try (RunningServer server =
        RunningServer.start(config(data, schedule), java.time.Clock.systemUTC())) {
      Eventually.waitFor(
          Duration.ofSeconds(30),
          () -> metrics(server).contains("keyturn_backup_last_success_timestamp_seconds 1"));
      List<String> files = names(folder);
      assertThat(files).singleElement().asString().matches("keyturn-backup-\\d{8}T\\d{6}Z\\.pgp");
      Path file = folder.resolve(files.get(0));
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
      byte[] encrypted = Files.readAllBytes(file);
      assertThat(new String(encrypted, StandardCharsets.ISO_8859_1)).doesNotContain(CANARY);
      Gpg.Result plain = gpg.run(encrypted, "--decrypt");
      assertThat(plain.code()).as(plain.err()).isZero();
      BackupDocument backup = BackupDocument.parse(plain.out());
      assertThat(backup.secrets())
          .extracting(s -> s.name().value())
          .containsExactly("app/A", "db/B");
      BackupSecret a = backup.secrets().get(0);
      assertThat(a.versions()).extracting(v -> v.metadata().number()).containsExactly(1, 2);
      assertThat(new String(a.versions().get(1).value().reveal(), StandardCharsets.UTF_8))
          .isEqualTo(CANARY + "-a2");
      backup.destroy();

      List<AuditRecordInfo> records =
          server
              .client()
              .audit(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(1000))
              .records();
      assertThat(records)
          .filteredOn(r -> r.action().equals("backup.scheduled"))
          .singleElement()
          .satisfies(r -> {
            assertThat(r.tokenId()).isEqualTo("system");
            assertThat(r.result()).isEqualTo("ok");
            assertThat(r.detail()).isEqualTo("file=" + files.get(0) + " secrets=2 versions=3");
          });
      assertThat(records)
          .filteredOn(r -> r.detail().startsWith("scheduled backup versions"))
          .extracting(AuditRecordInfo::secret, AuditRecordInfo::detail)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("app/A", "scheduled backup versions 1,2"),
              org.assertj.core.groups.Tuple.tuple("db/B", "scheduled backup versions 1"));
      assertThat(records.toString()).doesNotContain(CANARY);
      BackupScheduleStatus status = server.client().status("").backups();
      assertThat(status.state()).isEqualTo("ok");
      assertThat(status.lastFile()).isEqualTo(files.get(0));
      assertThat(status.kept()).isEqualTo(1);
      assertThat(Instant.parse(status.nextAt())).isAfter(Instant.now().plus(Duration.ofHours(23)));
      assertThat(metrics(server)).contains("keyturn_backup_failures_total 0.0");
      assertThat(server.client(server.token("list:app/*")).status("").backups())
          .as("server-wide: not shown to a scoped token")
          .isNull();
      assertThat(server.client(server.token("list:*")).status("").backups().state())
          .isEqualTo("ok");
    }
  }

  @Test
  void backups_keepTheNewestNOfTheirOwnPatternAndTouchNothingElse() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("prune-backups"));
    for (int day = 1; day <= 6; day++) {
      Files.writeString(folder.resolve("keyturn-backup-2026010" + day + "T000000Z.pgp"), "old");
    }
    List<String> foreign =
        List.of(
            "notes.txt",
            "keyturn-backup-latest.pgp",
            "keyturn-backup-20250101T000000Z.pgp.bak",
            "xkeyturn-backup-20250101T000000Z.pgp",
            "keyturn-backup-20250101T000000z.pgp");
    for (String name : foreign) {
      Files.writeString(folder.resolve(name), "foreign");
    }
    Files.writeString(folder.resolve(".keyturn-backup-20260101T000000Z-0123456789ab.tmp"), "torn");
    Path outside = Files.writeString(dir.resolve("outside.txt"), "not a backup");
    Files.createSymbolicLink(folder.resolve("keyturn-backup-20240101T000000Z.pgp"), outside);
    Files.createDirectory(folder.resolve("keyturn-backup-20240102T000000Z.pgp"));
    BackupSchedule schedule =
        BackupSchedule.of(folder, "24h", 3, List.of(publicKey), false).orElseThrow();

    try (RunningServer server =
        RunningServer.start(config(dir.resolve("prune"), schedule), java.time.Clock.systemUTC())) {
      Eventually.waitFor(
          Duration.ofSeconds(30),
          () -> {
            try {
              return names(folder).stream().filter(n -> n.startsWith("keyturn-backup-2026")).count()
                  == 3;
            } catch (IOException e) {
              throw new AssertionError(e);
            }
          });
      List<String> left = names(folder);

      assertThat(left)
          .filteredOn(n -> n.startsWith("keyturn-backup-2026"))
          .hasSize(3)
          .contains("keyturn-backup-20260105T000000Z.pgp", "keyturn-backup-20260106T000000Z.pgp")
          .doesNotContain("keyturn-backup-20260104T000000Z.pgp");
      assertThat(left)
          .containsAll(foreign)
          .contains("keyturn-backup-20240101T000000Z.pgp", "keyturn-backup-20240102T000000Z.pgp");
      assertThat(Files.readString(outside)).isEqualTo("not a backup");
      assertThat(left)
          .as("a temporary file a crash left is deleted")
          .noneMatch(n -> n.endsWith(".tmp"));
      assertThat(server.client().status("").backups().kept()).isEqualTo(3);
    }
  }

  @Test
  void aFailedBackup_showsInMetricsStatusAuditAndANotification() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("fail-backups"));
    Path key = Files.copy(publicKey, dir.resolve("fail.asc"));
    BackupSchedule schedule =
        BackupSchedule.of(folder, "24h", 3, List.of(key), false).orElseThrow();
    // Removed after the start's checks, before the first backup reads it.
    Files.delete(key);

    try (RunningServer server =
        RunningServer.start(config(dir.resolve("fail"), schedule), java.time.Clock.systemUTC())) {
      Eventually.waitFor(
          Duration.ofSeconds(30),
          () -> notifications.stream().anyMatch(n -> n.contains("\"event\":\"backup.fail\"")));
      String metrics = metrics(server);
      BackupScheduleStatus status = server.client().status("").backups();
      List<AuditRecordInfo> records =
          server
              .client()
              .audit(
                  Optional.empty(),
                  Optional.empty(),
                  Optional.of("backup.scheduled"),
                  Optional.of(10))
              .records();

      assertThat(metrics)
          .contains("keyturn_backup_failures_total 1.0")
          .contains("keyturn_backup_last_success_timestamp_seconds 0.0");
      assertThat(status.state()).isEqualTo("failing");
      assertThat(status.lastSuccess()).isNull();
      assertThat(status.lastError()).contains("fail.asc");
      assertThat(Instant.parse(status.nextAt()))
          .isBefore(Instant.now().plus(ScheduledBackups.RETRY).plusSeconds(5));
      assertThat(records)
          .singleElement()
          .satisfies(r -> {
            assertThat(r.result()).isEqualTo("failed");
            assertThat(r.tokenId()).isEqualTo("system");
            assertThat(r.detail()).contains("fail.asc");
          });
      assertThat(names(folder)).isEmpty();
    }
  }

  @Test
  void aBackupFailingWhileWriting_isAuditedAsFailedOnly_neverAlsoAsWritten() throws Exception {
    Path data = dir.resolve("torn");
    try (RunningServer plain = RunningServer.start(data)) {
      plain.client().put("app/A", new PutSecretRequest(CANARY + "-t1", null, null, null, null));
    }
    // The database is untrusted storage: an edited ciphertext fails when it is decrypted, which
    // is after the reads were audited and while the file is being written (as a full disk would).
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection("jdbc:sqlite:" + data.resolve("keyturn.db"));
        java.sql.Statement st = c.createStatement()) {
      assertThat(st.executeUpdate("UPDATE versions SET ciphertext = randomblob(80)")).isEqualTo(1);
    }
    Path folder = Files.createDirectories(dir.resolve("torn-backups"));
    BackupSchedule schedule =
        BackupSchedule.of(folder, "24h", 3, List.of(publicKey), false).orElseThrow();

    try (RunningServer server =
        RunningServer.start(config(data, schedule), java.time.Clock.systemUTC())) {
      Eventually.waitFor(
          Duration.ofSeconds(30),
          () -> metrics(server).contains("keyturn_backup_failures_total 1.0"));
      List<AuditRecordInfo> records =
          server
              .client()
              .audit(
                  Optional.empty(),
                  Optional.empty(),
                  Optional.of("backup.scheduled"),
                  Optional.of(10))
              .records();

      assertThat(records)
          .as("no record may say a backup was written that is not there")
          .singleElement()
          .satisfies(r -> assertThat(r.result()).isEqualTo("failed"));
      assertThat(names(folder)).isEmpty();
      assertThat(server.client().status("").backups().lastFile()).isNull();
    }
  }

  @Test
  void filesStampedInTheFuture_neitherPostponeBackupsNorCrowdOutTheNewOnes() throws Exception {
    // A clock that once ran ahead, or whoever can write to the folder, leaves files named for
    // a later time: they must not pass for the newest backups, which would postpone the next
    // one past the restart (and silence the staleness alert) and have each new one pruned.
    Path folder = Files.createDirectories(dir.resolve("future-backups"));
    List<String> future =
        List.of("keyturn-backup-20991231T000000Z.pgp", "keyturn-backup-20991230T000000Z.pgp");
    for (String name : future) {
      Files.writeString(folder.resolve(name), "from a clock ahead");
    }
    BackupSchedule schedule =
        BackupSchedule.of(folder, "24h", 2, List.of(publicKey), false).orElseThrow();

    try (RunningServer server =
        RunningServer.start(config(dir.resolve("future"), schedule), java.time.Clock.systemUTC())) {
      Eventually.waitFor(
          Duration.ofSeconds(30),
          () -> metrics(server).contains("keyturn_backup_last_success_timestamp_seconds 1"));
      List<String> written = names(folder).stream().filter(n -> !future.contains(n)).toList();
      BackupScheduleStatus status = server.client().status("").backups();

      assertThat(written).singleElement().asString().startsWith("keyturn-backup-2026");
      assertThat(status.lastFile()).isEqualTo(written.get(0));
      assertThat(status.kept()).isEqualTo(1);
      assertThat(Instant.parse(status.nextAt())).isBefore(Instant.now().plus(Duration.ofHours(25)));
      assertThat(names(folder)).as("files it did not write are left alone").containsAll(future);
    }
  }

  @Test
  void flags_areCheckedAtStartWithOneClearError() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("flags"));
    Path notAFolder = Files.writeString(dir.resolve("a-file"), "x");
    Path junkKey =
        Files.writeString(dir.resolve("junk.asc"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n");
    Path secretKey = dir.resolve("secret.asc");
    Files.write(
        secretKey,
        gpg.run(
                new byte[0],
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--armor",
                "--export-secret-keys",
                "backups@example.org")
            .out());

    assertThat(BackupSchedule.of(null, null, null, null, false)).isEmpty();
    assertThatThrownBy(() -> BackupSchedule.of(folder, "a day", 3, List.of(publicKey), false))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("--backup-every: 'a day' is not a duration");
    assertThatThrownBy(() -> BackupSchedule.of(folder, "10s", 3, List.of(publicKey), false))
        .hasMessageContaining("at least 1m");
    assertThatThrownBy(() -> BackupSchedule.of(folder, "24h", 0, List.of(publicKey), false))
        .hasMessageContaining("--backup-keep must be at least 1");
    assertThatThrownBy(
            () -> BackupSchedule.of(dir.resolve("missing"), "24h", 3, List.of(publicKey), false))
        .hasMessageContaining("is not a folder");
    assertThatThrownBy(() -> BackupSchedule.of(notAFolder, "24h", 3, List.of(publicKey), false))
        .hasMessageContaining("is not a folder");
    assertThatThrownBy(() -> BackupSchedule.of(folder, "24h", 3, List.of(), false))
        .hasMessageContaining("needs at least one --backup-recipient");
    assertThatThrownBy(() -> BackupSchedule.of(folder, "24h", 3, List.of(junkKey), false))
        .hasMessageContaining("junk.asc");
    assertThatThrownBy(() -> BackupSchedule.of(folder, "24h", 3, List.of(secretKey), false))
        .hasMessageContaining("secret.asc");
    assertThatThrownBy(
            () -> BackupSchedule.of(folder, "24h", 3, List.of(dir.resolve("gone.asc")), false))
        .hasMessageContaining("gone.asc");
    assertThatThrownBy(() -> BackupSchedule.of(null, "24h", null, null, false))
        .hasMessageContaining("go with --backup-dir");
    assertThatThrownBy(() -> BackupSchedule.of(folder, "24h", 3, List.of(publicKey), true))
        .hasMessageContaining("take no passphrase")
        .hasMessageContaining("public keys only");
    assertThat(BackupSchedule.of(folder, null, null, List.of(publicKey), false).orElseThrow())
        .extracting(BackupSchedule::every, BackupSchedule::keep)
        .containsExactly(Duration.ofHours(24), 14);
    assertThat(names(folder)).as("the writability probe leaves nothing").isEmpty();
  }

  @Test
  void server_withABadBackupFlag_exitsOneBeforeStarting() throws Exception {
    Path data = dir.resolve("never");
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream saved = System.err;
    int passphrase;
    int missing;
    try {
      System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
      passphrase =
          Main.run(
              new String[] {
                "--data",
                data.toString(),
                "--listen",
                "127.0.0.1:0",
                "--backup-dir",
                dir.toString(),
                "--backup-recipient",
                publicKey.toString(),
                "--backup-passphrase-file",
                publicKey.toString()
              });
      missing =
          Main.run(
              new String[] {
                "--data",
                data.toString(),
                "--listen",
                "127.0.0.1:0",
                "--backup-dir",
                dir.resolve("nowhere").toString(),
                "--backup-recipient",
                publicKey.toString()
              });
    } finally {
      System.setErr(saved);
    }

    assertThat(passphrase).isEqualTo(1);
    assertThat(missing).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8).lines().toList())
        .hasSize(2)
        .satisfiesExactly(
            l -> assertThat(l).startsWith("keyturn server: scheduled backups take no passphrase"),
            l ->
                assertThat(l)
                    .startsWith("keyturn server: --backup-dir ")
                    .contains("is not a folder"));
    assertThat(Files.exists(data.resolve("keyturn.db"))).isFalse();
  }

  @Test
  void schedule_onFixedInstants_firstAtStartOrOneIntervalAfterTheNewestThenAfterEachAttempt() {
    Instant now = Instant.parse("2026-11-28T18:45:00Z");
    Duration day = Duration.ofHours(24);

    assertThat(ScheduledBackups.firstRun(now, Optional.empty(), day)).isEqualTo(now);
    assertThat(ScheduledBackups.firstRun(now, Optional.of(now.minus(Duration.ofHours(30))), day))
        .isEqualTo(now);
    assertThat(ScheduledBackups.firstRun(now, Optional.of(now.minus(Duration.ofHours(5))), day))
        .isEqualTo(now.plus(Duration.ofHours(19)));
    assertThat(ScheduledBackups.nextRun(now, true, day)).isEqualTo(now.plus(day));
    assertThat(ScheduledBackups.nextRun(now, false, day)).isEqualTo(now.plus(Duration.ofHours(1)));
    assertThat(ScheduledBackups.nextRun(now, false, Duration.ofMinutes(10)))
        .isEqualTo(now.plus(Duration.ofMinutes(10)));
  }
}
