package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.FingerprintResponse;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.backup.BackupDocument;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code keyturn backup drill} against real servers with backups that {@code keyturn backup create}
 * wrote (passphrase, and public key through {@code gpg --decrypt |}): an identical backup exits 0;
 * a rotated secret is changed, a deleted one missing, a new one extra (exit 3); the same names with
 * other values on another server (another root key) differ by value digest; a wrong passphrase is
 * one line; a token without read on every name is refused; the throwaway folder is mode 700 while
 * the drill runs and gone afterwards; no value appears in any output.
 */
class BackupDrillTest {
  private static final String CANARY = "drill-canary-7e1f";

  @TempDir static Path work;
  static KeyturnServer live;
  static KeyturnServer other;
  static WireClient admin;
  static WireClient otherAdmin;
  static Path passphrase;
  static Path tmp;

  @BeforeAll
  static void start() throws Exception {
    live = server("a");
    other = server("b");
    admin = client(live, token("a"));
    otherAdmin = client(other, token("b"));
    passphrase = Files.writeString(work.resolve("pass"), "a long drill passphrase\n");
    tmp = Files.createDirectories(work.resolve("tmp"));
  }

  @AfterAll
  static void stop() {
    admin.close();
    otherAdmin.close();
    live.close();
    other.close();
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

  private static WireClient client(KeyturnServer server, String token) {
    return WireClient.builder().address("http://127.0.0.1:" + server.port()).token(token).build();
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
            Map.of(
                "KEYTURN_ADDR",
                "http://127.0.0.1:" + server.port(),
                "KEYTURN_TOKEN",
                token,
                "TMPDIR",
                tmp.toString()),
            work,
            work,
            false);
    int code = KeyturnCli.run(io, args);
    Run run =
        new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    assertThat(run.out() + run.err()).doesNotContain(CANARY);
    return run;
  }

  private static void put(WireClient client, String name, String value, String grace) {
    client.put(name, new PutSecretRequest(value, null, null, grace, null));
  }

  private static void putPending(WireClient client, String name, String value) {
    client.put(name, new PutSecretRequest(value, null, null, null, "pending"));
  }

  private static void putJson(WireClient client, String name, String json) {
    client.put(
        name, new PutSecretRequest(null, WireJson.mapper().readTree(json), null, null, null));
  }

  /** A backup of the folder {@code prefix} of the live server, made by {@code backup create}. */
  private static Path backup(String prefix) throws Exception {
    Path file = work.resolve(prefix + "-" + System.nanoTime() + ".pgp");
    Run create =
        run(
            live,
            token("a"),
            new byte[0],
            "backup",
            "create",
            "--out",
            file.toString(),
            "--prefix",
            prefix,
            "--passphrase-file",
            passphrase.toString());
    assertThat(create.code()).as(create.err()).isZero();
    return file;
  }

  private static Run drill(KeyturnServer server, String token, Path file, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "backup", "drill", file.toString(), "--passphrase-file", passphrase.toString()));
    args.addAll(List.of(more));
    return run(server, token, new byte[0], args.toArray(String[]::new));
  }

  private static void populate(String folder) {
    put(admin, folder + "/PLAIN", CANARY + "-plain", null);
    put(admin, folder + "/GRACE", CANARY + "-grace-1", null);
    put(admin, folder + "/GRACE", CANARY + "-grace-2", "48h");
    put(admin, folder + "/PENDING", CANARY + "-pending-1", null);
    putPending(admin, folder + "/PENDING", CANARY + "-pending-2");
    putJson(admin, folder + "/DB", "{\"user\":\"app\",\"password\":\"" + CANARY + "-db\"}");
  }

  @Test
  void drill_backupOfWhatIsLive_exitsZeroAndLeavesNoFolder() throws Exception {
    populate("same");
    Path file = backup("same");

    Run drill = drill(live, token("a"), file);

    assertThat(drill.code()).as(drill.err()).isZero();
    assertThat(drill.out().lines().toList())
        .singleElement()
        .asString()
        .contains("4 secrets, 6 versions restored")
        .contains("4 live; 0 missing, 0 changed, 0 extra")
        .endsWith("the backup would bring back exactly what is live");
    assertThat(drill.err()).isEmpty();
    try (var left = Files.list(tmp)) {
      assertThat(left.toList()).isEmpty();
    }
  }

  @Test
  void drill_ofAPreviousVersionALiveConsumerStillHoldsPastItsGrace_findsItIdentical()
      throws Exception {
    // The live server still serves #1 to the consumer, so the backup holds it and the drill,
    // whose throwaway store has no consumers, must still compare it rather than call it missing.
    put(admin, "held/KEY", CANARY + "-held-1", null);
    Run rule =
        run(
            live,
            token("a"),
            new byte[0],
            "rotation",
            "set",
            "held/KEY",
            "--grace",
            "1h",
            "--consumer-deadline",
            "2h");
    assertThat(rule.code()).as(rule.err()).isZero();
    put(admin, "held/KEY", CANARY + "-held-2", "1s");
    admin.putConsumer(
        "drill.held",
        new dev.keyturn.api.ConsumerRequest(
            "web-1",
            "run",
            List.of(new dev.keyturn.api.ConsumerHolding("held/KEY", 1, List.of(1))),
            600));
    Thread.sleep(1500);
    Path file = backup("held");

    Run drill = drill(live, token("a"), file);

    assertThat(drill.code()).as(drill.out() + drill.err()).isZero();
    assertThat(drill.out())
        .contains("1 secrets, 2 versions restored")
        .contains("0 missing, 0 changed, 0 extra");
    admin.deleteConsumer("drill.held");
  }

  @Test
  void drill_whileRunning_restoresIntoAMode700FolderItDeletesAfterwards() throws Exception {
    populate("folder");
    Path file = backup("folder");
    byte[] plain;
    try (Gpg gpg = Gpg.in(work.resolve("g1"))) {
      Gpg.Result r =
          gpg.run(
              Files.readAllBytes(file),
              "--pinentry-mode",
              "loopback",
              "--passphrase-file",
              passphrase.toString(),
              "--decrypt");
      assertThat(r.code()).as(r.err()).isZero();
      plain = r.out();
    }
    Path parent = Files.createDirectories(work.resolve("tmp-direct"));
    AtomicReference<String> seen = new AtomicReference<>();
    BackupDocument backup = BackupDocument.parse(plain);

    BackupDrill.Outcome outcome =
        new BackupDrill(parent, Clock.systemUTC(), new SecureRandom())
            .run(
                backup,
                prefix -> {
                  try (var dirs = Files.list(parent)) {
                    Path dir = dirs.toList().get(0);
                    seen.set(
                        dir.getFileName().toString().replaceAll("[0-9]+$", "")
                            + " "
                            + PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
                    try (var files = Files.list(dir)) {
                      assertThat(files.map(p -> p.getFileName().toString()).toList())
                          .contains("drill.db");
                    }
                  } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                  }
                  return admin.valueDigests(prefix);
                });

    assertThat(seen.get()).isEqualTo("keyturn-drill- rwx------");
    assertThat(outcome.differences()).isEmpty();
    try (var left = Files.list(parent)) {
      assertThat(left.toList()).isEmpty();
    }
    backup.destroy();
  }

  @Test
  void drill_afterRotationDeletionAndAddition_reportsChangedMissingExtraAndExitsThree()
      throws Exception {
    populate("drift");
    Path file = backup("drift");
    put(admin, "drift/PLAIN", CANARY + "-plain-rotated", "24h");
    admin.delete("drift/DB", false);
    put(admin, "drift/NEW", CANARY + "-new", null);

    Run drill = drill(live, token("a"), file);
    Run json = drill(live, token("a"), file, "--json");

    assertThat(drill.code()).as(drill.err()).isEqualTo(3);
    List<String> lines = drill.out().lines().toList();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).startsWith("missing  drift/DB: in the backup (#1 current), not live");
    assertThat(lines.get(1)).startsWith("extra    drift/NEW: live (#1 current), not in the backup");
    assertThat(lines.get(2))
        .startsWith("changed  drift/PLAIN: #1 stage current in the backup, previous live")
        .contains("accept_until none in the backup, 20")
        .endsWith("; #2 current only live");
    assertThat(lines.get(3))
        .contains("1 missing, 1 changed, 1 extra")
        .endsWith("the backup would not bring back what is live");
    assertThat(json.code()).isEqualTo(3);
    JsonNode doc = WireJson.mapper().readTree(json.out());
    assertThat(doc.get("ok").booleanValue()).isFalse();
    assertThat(doc.get("missing").intValue()).isEqualTo(1);
    assertThat(doc.get("changed").intValue()).isEqualTo(1);
    assertThat(doc.get("extra").intValue()).isEqualTo(1);
    assertThat(doc.get("differences").get(0).get("kind").stringValue()).isEqualTo("missing");
    assertThat(doc.get("differences").get(0).get("name").stringValue()).isEqualTo("drift/DB");
  }

  @Test
  void drill_againstAnotherServer_comparesValuesByDigestUnderEitherRootKey() throws Exception {
    put(admin, "twin/A", CANARY + "-twin-a", null);
    put(admin, "twin/B", CANARY + "-twin-b", null);
    Path file = backup("twin");
    put(otherAdmin, "twin/A", CANARY + "-twin-a", null);
    put(otherAdmin, "twin/B", CANARY + "-twin-b-other", null);

    Run drill = drill(other, token("b"), file);

    assertThat(drill.code()).isEqualTo(3);
    assertThat(drill.out().lines().toList())
        .hasSize(2)
        .first()
        .isEqualTo("changed  twin/B: #1 the value differs");
  }

  @Test
  void drill_ofABackupToAPublicKey_readsWhatGpgDecryptsOnStandardInput() throws Exception {
    populate("piped");
    Path file = work.resolve("piped.pgp");
    byte[] plain;
    try (Gpg gpg = Gpg.in(work.resolve("g2"))) {
      gpg.generateKey("drill@example.org", "ed25519");
      Path key = gpg.exportPublic("drill@example.org", work.resolve("drill.asc"));
      Run create =
          run(
              live,
              token("a"),
              new byte[0],
              "backup",
              "create",
              "--out",
              file.toString(),
              "--prefix",
              "piped",
              "--recipient",
              key.toString());
      assertThat(create.code()).as(create.err()).isZero();
      Gpg.Result r = gpg.run(Files.readAllBytes(file), "--decrypt");
      assertThat(r.code()).as(r.err()).isZero();
      plain = r.out();
    }

    Run drill = run(live, token("a"), plain, "backup", "drill", "-");

    assertThat(drill.code()).as(drill.err()).isZero();
    assertThat(drill.out()).contains("0 missing, 0 changed, 0 extra");
  }

  @Test
  void drill_withAWrongPassphrase_isOneLineAndExitsThree() throws Exception {
    put(admin, "wrong/A", CANARY + "-wrong", null);
    Path file = backup("wrong");
    Path bad = Files.writeString(work.resolve("bad-pass"), "not the passphrase\n");

    Run drill =
        run(
            live,
            token("a"),
            new byte[0],
            "backup",
            "drill",
            file.toString(),
            "--passphrase-file",
            bad.toString());

    assertThat(drill.code()).isEqualTo(3);
    assertThat(drill.out()).isEmpty();
    assertThat(drill.err().lines().toList())
        .singleElement()
        .asString()
        .startsWith("keyturn: ")
        .contains("passphrase is wrong");
  }

  @Test
  void drill_whenTheServerCountsUnreadableSecrets_isRefused() throws Exception {
    populate("hidden");
    Path file = backup("hidden");
    byte[] plain;
    try (Gpg gpg = Gpg.in(work.resolve("g3"))) {
      plain =
          gpg.run(
                  Files.readAllBytes(file),
                  "--pinentry-mode",
                  "loopback",
                  "--passphrase-file",
                  passphrase.toString(),
                  "--decrypt")
              .out();
    }
    BackupDocument backup = BackupDocument.parse(plain);
    Path parent = Files.createDirectories(work.resolve("tmp-hidden"));

    Throwable refused =
        org.assertj.core.api.Assertions.catchThrowable(() ->
            new BackupDrill(parent, Clock.systemUTC(), new SecureRandom())
                .run(
                    backup,
                    prefix -> {
                      FingerprintResponse all = admin.valueDigests(prefix);
                      return new FingerprintResponse(
                          all.prefix(), all.key(), all.versions().subList(0, 1), 3);
                    }));

    assertThat(refused)
        .isInstanceOf(dev.keyturn.core.KeyturnException.Forbidden.class)
        .hasMessage(
            "the token may not read 3 live secrets below 'hidden': a drill needs read on every"
                + " name the backup covers");
    try (var left = Files.list(parent)) {
      assertThat(left.toList()).isEmpty();
    }
    backup.destroy();
  }

  @Test
  void drill_withoutReadOnEveryName_isRefusedAndSaysWhy() throws Exception {
    populate("scoped");
    Path file = backup("scoped");
    Map<String, String> tokens = new HashMap<>();
    for (String grant :
        List.of("read:scoped/PLAIN", "list:scoped/*", "read:other/*", "write:scoped/*")) {
      tokens.put(
          grant, admin.createToken(new TokenCreateRequest("drill", List.of(grant), "1h")).token());
    }
    String reader =
        admin.createToken(new TokenCreateRequest("drill", List.of("read:scoped/*"), "1h")).token();

    Map<String, Run> refused = new HashMap<>();
    tokens.forEach((grant, token) -> refused.put(grant, drill(live, token, file)));
    Run allowed = drill(live, reader, file);

    refused.forEach((grant, run) -> {
      assertThat(run.code()).as(grant + ": " + run.err()).isEqualTo(6);
      assertThat(run.out()).as(grant).isEmpty();
      assertThat(run.err().lines().toList()).as(grant).hasSize(1);
    });
    assertThat(refused.get("read:scoped/PLAIN").err())
        .startsWith("keyturn: a drill of the backup of 'scoped' needs read on every name below it")
        .contains("read:scoped/*");
    assertThat(allowed.code()).as(allowed.err()).isZero();
  }
}
