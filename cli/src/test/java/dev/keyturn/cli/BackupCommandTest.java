package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.HistoryResponse;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.VersionInfo;
import dev.keyturn.api.WireJson;
import dev.keyturn.backup.BackupDocument;
import dev.keyturn.backup.OpenPgp;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.server.KeyturnServer;
import dev.keyturn.server.ServerConfig;
import dev.keyturn.testing.Gpg;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyturn backup} end to end: 1,000 secrets with histories (JSON values, keyrings in grace,
 * pending versions, rules) on one server, backed up with the CLI, opened by gpg, and restored into
 * a fresh server with another root key, where every version's value, stage and {@code accept_until}
 * must be identical; then restores over existing secrets, and damaged backups that write nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupCommandTest {
  private static final int SECRETS = 1000;
  private static final String CANARY = "bk-canary-51c0";

  @TempDir static Path work;
  static KeyturnServer source;
  static KeyturnServer target;
  static WireClient sourceClient;
  static WireClient targetClient;
  static Path passphrase;
  static Path backup;

  @BeforeAll
  static void start() throws Exception {
    source = server("a");
    target = server("b");
    sourceClient = client(source, "a");
    targetClient = client(target, "b");
    passphrase = Files.writeString(work.resolve("pass"), "a long backup passphrase\n");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> done = new ArrayList<>();
    for (int i = 0; i < SECRETS; i++) {
      int n = i;
      done.add(pool.submit(() -> populate(n)));
    }
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();
  }

  private static void populate(int i) {
    String name = "app/s" + String.format("%04d", i);
    switch (i % 4) {
      case 0 -> {
        sourceClient.put(
            name, json("{\"user\":\"u" + i + "\",\"password\":\"" + CANARY + i + "a\"}", null));
        sourceClient.put(
            name, json("{\"user\":\"u" + i + "\",\"password\":\"" + CANARY + i + "b\"}", "48h"));
      }
      case 1 -> {
        sourceClient.put(name, text(CANARY + i + "-1", null, null));
        sourceClient.put(name, text(CANARY + i + "-2", "0s", null));
        sourceClient.put(name, text(CANARY + i + "-3", "72h", null));
      }
      case 2 -> {
        sourceClient.put(name, text(CANARY + i + "-live", null, null));
        sourceClient.put(name, text(CANARY + i + "-next", null, "pending"));
      }
      default -> sourceClient.put(name, text(CANARY + i + "-only", null, null));
    }
    if (i % 50 == 0) {
      sourceClient.putRule(
          name,
          new RuleBody(
              "hex:32",
              "30d",
              null,
              "24h",
              "overlap",
              null,
              null,
              "team-" + i,
              null,
              null,
              null,
              null,
              null,
              null,
              null));
    }
  }

  private static PutSecretRequest text(String value, String grace, String stage) {
    return new PutSecretRequest(value, null, null, grace, stage);
  }

  private static PutSecretRequest json(String value, String grace) {
    return new PutSecretRequest(null, WireJson.mapper().readTree(value), null, grace, null);
  }

  private static KeyturnServer server(String id) {
    Path data = work.resolve(id);
    return KeyturnServer.start(
        ServerConfig.local(
            data, "127.0.0.1", 0, "jdbc:sqlite:" + data.resolve("keyturn.db"), Optional.empty()),
        Clock.systemUTC(),
        new SecureRandom());
  }

  private static String token(String id) throws Exception {
    return Files.readString(work.resolve(id).resolve("root.token")).strip();
  }

  private static WireClient client(KeyturnServer server, String id) throws Exception {
    return WireClient.builder()
        .address("http://127.0.0.1:" + server.port())
        .token(token(id))
        .build();
  }

  @AfterAll
  static void stop() {
    sourceClient.close();
    targetClient.close();
    source.close();
    target.close();
  }

  record Run(int code, String out, String err) {}

  static Run run(KeyturnServer server, String token, byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(stdin),
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

  @Test
  @Order(1)
  void create_writesAMode600FileThatGpgOpens_andAuditsEachSecretAsARead() throws Exception {
    backup = work.resolve("out/all.pgp");

    Run create =
        run(
            source,
            token("a"),
            new byte[0],
            "backup",
            "create",
            "--out",
            backup.toString(),
            "--passphrase-file",
            passphrase.toString());
    Run again =
        run(
            source,
            token("a"),
            new byte[0],
            "backup",
            "create",
            "--out",
            backup.toString(),
            "--passphrase-file",
            passphrase.toString());

    assertThat(create.code()).as(create.err()).isZero();
    assertThat(create.out()).contains("1000 secrets");
    assertThat(Files.getPosixFilePermissions(backup))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.list(backup.getParent()).toList()).containsExactly(backup);
    assertThat(again.code()).isNotZero();
    assertThat(again.err()).contains("exists");
    byte[] file = Files.readAllBytes(backup);
    assertThat(new String(file, StandardCharsets.ISO_8859_1)).doesNotContain(CANARY);
    try (Gpg gpg = Gpg.in(work)) {
      Gpg.Result plain =
          gpg.run(
              file,
              "--pinentry-mode",
              "loopback",
              "--passphrase-file",
              passphrase.toString(),
              "--decrypt");
      assertThat(plain.code()).as(plain.err()).isZero();
      BackupDocument doc = BackupDocument.parse(plain.out());
      assertThat(doc.secrets()).hasSize(SECRETS);
      assertThat(doc.secrets().get(0).rule()).isPresent();
      doc.destroy();
    }
    List<AuditRecordInfo> reads =
        sourceClient
            .audit(
                Optional.empty(),
                Optional.empty(),
                Optional.of("secret.read"),
                Optional.empty(),
                Optional.of(100_000))
            .records()
            .stream()
            .filter(r -> r.detail().startsWith("backup "))
            .toList();
    // One record per version read: 1,750 non-retired versions in the 1,000 secrets (the second
    // create read them too, before it found the file there).
    assertThat(reads).hasSizeGreaterThanOrEqualTo(1750);
    assertThat(reads.stream().filter(r -> r.secret().equals("app/s0001")))
        .extracting(AuditRecordInfo::version)
        .contains(2, 3)
        .containsOnly(2, 3);
    assertThat(
            sourceClient
                .audit(
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.of(100_000))
                .toString())
        .doesNotContain(CANARY);
  }

  @Test
  @Order(2)
  void restore_intoAFreshServerWithAnotherRootKey_bringsBackEveryVersionIdentically()
      throws Exception {
    Run verify =
        run(
            target,
            token("b"),
            new byte[0],
            "backup",
            "verify",
            backup.toString(),
            "--passphrase-file",
            passphrase.toString());
    Run dry =
        run(
            target,
            token("b"),
            new byte[0],
            "backup",
            "restore",
            backup.toString(),
            "--dry-run",
            "--passphrase-file",
            passphrase.toString());
    int afterDry = targetClient.list("app/", Optional.empty()).secrets().size();

    Run restore =
        run(
            target,
            token("b"),
            new byte[0],
            "backup",
            "restore",
            backup.toString(),
            "--passphrase-file",
            passphrase.toString());

    assertThat(verify.code()).as(verify.err()).isZero();
    assertThat(verify.out()).contains("secrets: 1000").contains("versions: 1750");
    assertThat(dry.code()).as(dry.err()).isZero();
    assertThat(dry.out()).contains("dry run, nothing written: 1000 created");
    assertThat(afterDry).isZero();
    assertThat(restore.code()).as(restore.err()).isZero();
    assertThat(restore.out()).contains("1000 created, 0 made current, 0 unchanged");
    assertThat(restore.out() + restore.err()).doesNotContain(CANARY);
    // The store records who restored each version, and when: the target's token, now.
    targetClient.put("probe/WHO", text("probe-value-1f0c", null, null));
    String restorer = targetClient.history("probe/WHO").versions().get(0).createdBy();
    for (int i = 0; i < SECRETS; i++) {
      String name = "app/s" + String.format("%04d", i);
      if (i % 50 == 0) {
        // The rule came back with the secret, as stored (re-read from the new server).
        RuleBody ra = sourceClient.rule(name).rule();
        RuleBody rb = targetClient.rule(name).rule();
        assertThat(rb.owner()).as(name).isEqualTo("team-" + i);
        assertThat(List.of(rb.generate(), rb.every(), rb.strategy(), rb.grace()))
            .as(name)
            .isEqualTo(List.of(ra.generate(), ra.every(), ra.strategy(), ra.grace()));
        assertThat(targetClient.rule(name).nextDue()).as(name).isNotNull();
      }
      HistoryResponse a = sourceClient.history(name);
      HistoryResponse b = targetClient.history(name);
      List<VersionInfo> live =
          a.versions().stream().filter(v -> !v.stage().equals("retired")).toList();
      assertThat(b.versions()).as(name).hasSameSizeAs(live);
      for (int k = 0; k < live.size(); k++) {
        VersionInfo va = live.get(k);
        VersionInfo vb = b.versions().get(k);
        assertThat(vb.version()).as(name).isEqualTo(va.version());
        assertThat(vb.stage()).as(name).isEqualTo(va.stage());
        assertThat(vb.acceptUntil()).as(name).isEqualTo(va.acceptUntil());
        assertThat(vb.type()).as(name).isEqualTo(va.type());
        assertThat(vb.createdBy()).as(name).isEqualTo(restorer);
        assertThat(java.time.Instant.parse(vb.createdAt()))
            .as(name)
            .isAfter(java.time.Instant.parse(va.createdAt()));
        SecretValueResponse ra =
            sourceClient.get(name, Optional.of(va.version()), Optional.empty());
        SecretValueResponse rb =
            targetClient.get(name, Optional.of(vb.version()), Optional.empty());
        assertThat(WireJson.mapper().writeValueAsString(rb.value()))
            .as(name + "#" + va.version())
            .isEqualTo(WireJson.mapper().writeValueAsString(ra.value()));
      }
    }
  }

  @Test
  @Order(3)
  void restoreAgain_skipsIdenticalSecrets_andReportsChangedOnesUnlessAsCurrent() throws Exception {
    targetClient.put("app/s0003", text(CANARY + "-changed-after", null, null));

    Run again =
        run(
            target,
            token("b"),
            new byte[0],
            "backup",
            "restore",
            backup.toString(),
            "--passphrase-file",
            passphrase.toString());
    HistoryResponse left = targetClient.history("app/s0003");
    Run asCurrent =
        run(
            target,
            token("b"),
            new byte[0],
            "backup",
            "restore",
            backup.toString(),
            "--prefix",
            "app",
            "--as-current",
            "--passphrase-file",
            passphrase.toString());
    HistoryResponse after = targetClient.history("app/s0003");

    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.out()).contains("0 created, 0 made current, 999 unchanged, 1 changed");
    assertThat(again.out())
        .containsPattern(
            "changed +app/s0003: current #2 \\(made [^)]+\\) differs from the backup's #1; backup [0-9]+m old");
    assertThat(left.versions()).hasSize(2);
    assertThat(asCurrent.out()).contains("0 created, 1 made current, 999 unchanged");
    assertThat(after.versions().get(0).version()).isEqualTo(3);
    assertThat(after.versions().get(0).stage()).isEqualTo("current");
    assertThat(after.versions().get(1).stage()).isEqualTo("previous");
    assertThat(targetClient.get("app/s0003").value().asString()).isEqualTo(CANARY + "3-only");
  }

  @Test
  @Order(4)
  void damagedBackups_andWrongPassphrase_writeNothing() throws Exception {
    byte[] good = Files.readAllBytes(backup);
    Path damaged = work.resolve("damaged.pgp");
    Path wrong = Files.writeString(work.resolve("wrong"), "not the passphrase\n");
    Random random = new Random(17);
    long restoresBefore = restoreRecords();
    int before = targetClient.list("", Optional.empty()).secrets().size();

    List<Run> runs = new ArrayList<>();
    runs.add(
        run(
            target,
            token("b"),
            new byte[0],
            "backup",
            "restore",
            backup.toString(),
            "--passphrase-file",
            wrong.toString()));
    for (int i = 0; i < 20; i++) {
      byte[] copy =
          i % 2 == 0 ? good.clone() : java.util.Arrays.copyOf(good, random.nextInt(good.length));
      if (i % 2 == 0) {
        copy[random.nextInt(copy.length)] ^= (byte) (1 << random.nextInt(8));
      }
      Files.deleteIfExists(damaged);
      Files.write(damaged, copy);
      runs.add(
          run(
              target,
              token("b"),
              new byte[0],
              "backup",
              "restore",
              damaged.toString(),
              "--passphrase-file",
              passphrase.toString()));
    }

    for (Run r : runs) {
      assertThat(r.code()).as(r.out()).isNotZero();
      assertThat(r.err().strip().lines()).hasSize(1);
      assertThat(r.err()).startsWith("keyturn: the ").doesNotContain(CANARY);
    }
    assertThat(runs.get(0).err()).contains("passphrase is wrong");
    Run verify =
        run(
            target,
            token("b"),
            new byte[0],
            "backup",
            "verify",
            damaged.toString(),
            "--passphrase-file",
            passphrase.toString());
    assertThat(verify.code()).isEqualTo(3);
    assertThat(verify.err()).startsWith("keyturn: the backup");
    assertThat(restoreRecords()).isEqualTo(restoresBefore);
    assertThat(targetClient.list("", Optional.empty()).secrets()).hasSize(before);
  }

  private static long restoreRecords() {
    return targetClient
        .audit(
            Optional.empty(),
            Optional.empty(),
            Optional.of("secret.restore"),
            Optional.empty(),
            Optional.of(100_000))
        .records()
        .size();
  }

  @Test
  @Order(5)
  void plainDocumentOnStdin_fromGpg_isRestored_butAPlainFileIsRefused() throws Exception {
    byte[] plain;
    try (Gpg gpg = Gpg.in(work.resolve("g2"))) {
      plain =
          gpg.run(
                  Files.readAllBytes(backup),
                  "--pinentry-mode",
                  "loopback",
                  "--passphrase-file",
                  passphrase.toString(),
                  "--decrypt")
              .out();
    }
    Path clear = work.resolve("clear.json");
    Files.write(clear, plain);

    Run piped =
        run(
            target,
            token("b"),
            plain,
            "backup",
            "restore",
            "-",
            "--prefix",
            "app/s0001",
            "--dry-run");
    Run fromFile = run(target, token("b"), new byte[0], "backup", "restore", clear.toString());

    assertThat(piped.code()).as(piped.err()).isZero();
    assertThat(piped.out()).contains("0 created, 0 made current, 1 unchanged, 0 changed");
    assertThat(fromFile.code()).isNotZero();
    assertThat(fromFile.err()).contains("in the clear");
    Files.delete(clear);
    assertThat(OpenPgp.MAX_PLAINTEXT).isPositive();
  }
}
