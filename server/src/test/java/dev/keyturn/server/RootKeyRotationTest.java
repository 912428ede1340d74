package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RootKeyStatus;
import dev.keyturn.api.RuleBody;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.testing.TestServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/root-key/rotate} on a real server (SQLite and PostgreSQL): every data key and the
 * metadata key end up wrapped by the new key while reads and writes go on; tokens, rules and the
 * audit chain verify afterwards, also once the old key file is deleted; edited rows are still
 * caught; callers without {@code admin:*} are refused.
 */
class RootKeyRotationTest {
  private static final int SECRETS = 1_100; // more than two batches
  @TempDir Path dir;

  @Test
  void rotate_sqliteWithReadsAndWritesGoingOn_everythingOpensUnderTheNewKeyAlone()
      throws Exception {
    Path data = dir.resolve("data");
    rotateWithTraffic(RunningServer.config(data, Optional.empty()));
  }

  @Test
  void rotate_postgresWithReadsAndWritesGoingOn_everythingOpensUnderTheNewKeyAlone()
      throws Exception {
    String base = TestServices.postgresUrl();
    String schema = "kt_rootkey_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    RootKeyChecks.execute(base, "CREATE SCHEMA " + schema);
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    Path data = dir.resolve("pg");
    rotateWithTraffic(ServerConfig.local(data, "127.0.0.1", 0, url, Optional.empty()));
  }

  private void rotateWithTraffic(ServerConfig config) throws Exception {
    Path data = config.dataDir();
    Map<String, String> expected = new ConcurrentHashMap<>();
    String reader;
    String from;
    RootKeyStatus ended;
    try (RunningServer server = RunningServer.start(config, Clock.systemUTC())) {
      WireClient root = server.client();
      RootKeyChecks.fill(root, "rk/", SECRETS, expected);
      root.putRule("rk/s0", rule());
      reader = server.token("read:rk/*");
      from = root.rootKey().rootKeyId();

      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger failures = new AtomicInteger();
      List<Thread> traffic = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        int writer = t;
        WireClient c = server.client();
        WireClient r = server.client(reader);
        traffic.add(
            Thread.ofVirtual()
                .start(() -> {
                  int i = 0;
                  while (!stop.get()) {
                    try {
                      String name = "rk/s" + ThreadLocalRandom.current().nextInt(SECRETS);
                      String seen = r.get(name).value().stringValue();
                      if (!seen.startsWith("v-")) {
                        failures.incrementAndGet();
                      }
                      String fresh = "rk/new" + writer + "-" + i++;
                      String value = "v-" + fresh;
                      c.put(fresh, new PutSecretRequest(value, null, null, null, null));
                      expected.put(fresh, value);
                    } catch (RuntimeException e) {
                      failures.incrementAndGet();
                    }
                  }
                }));
      }
      RootKeyStatus started = root.rotateRootKey();
      ended = RootKeyChecks.awaitEnd(root);
      stop.set(true);
      for (Thread t : traffic) {
        t.join();
      }

      assertThat(started.from()).isEqualTo(from);
      assertThat(ended.state()).as(ended.note()).isEqualTo("idle");
      assertThat(ended.rootKeyId()).isEqualTo(started.to()).isNotEqualTo(from);
      assertThat(failures.get()).as("reads and writes that failed during the rotation").isZero();
      assertThat(
              root.audit(
                      Optional.empty(),
                      Optional.empty(),
                      Optional.of("root-key.rotate.start"),
                      Optional.of(10))
                  .records())
          .hasSize(1);
      assertThat(
              root.audit(
                      Optional.empty(),
                      Optional.empty(),
                      Optional.of("root-key.rotate.end"),
                      Optional.of(10))
                  .records())
          .hasSize(1);
    }
    assertThat(RootKey.fromBase64(Files.readString(data.resolve("root.key"))).id())
        .isEqualTo(ended.to());
    assertThat(Files.getPosixFilePermissions(data.resolve("root.key")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(data.resolve("root.key.new")).doesNotExist();
    Path old = data.resolve("root.key.old-" + from);
    assertThat(RootKey.fromBase64(Files.readString(old)).id()).isEqualTo(from);
    RootKeyChecks.assertWrappedBy(config.storeUrl(), ended.to());

    Files.delete(old);
    try (RunningServer server = RunningServer.start(config, Clock.systemUTC())) {
      RootKeyChecks.assertAllRead(server.client(reader), expected);
      assertThat(server.client().rule("rk/s0").rule().generate()).isEqualTo("hex:32");
      assertThat(server.client().verifyAudit(Optional.empty()).ok()).isTrue();
      assertThat(server.client().rootKey().rootKeyId()).isEqualTo(ended.to());
      assertThat(
              server.raw("GET", "/v1/audit?action=integrity.fail", server.rootToken(), null).body())
          .doesNotContain("integrity.fail");
    }
  }

  @Test
  void rotate_twice_auditAndOperatorToolsWorkWithBothEarlierKeyFilesDeleted() throws Exception {
    Path data = dir.resolve("data");
    Map<String, String> expected = new ConcurrentHashMap<>();
    try (RunningServer server = RunningServer.start(data)) {
      RootKeyChecks.fill(server.client(), "twice/", 20, expected);
      for (int round = 0; round < 2; round++) {
        server.client().rotateRootKey();
        assertThat(RootKeyChecks.awaitEnd(server.client()).state()).isEqualTo("idle");
        server
            .client()
            .put("twice/after" + round, new PutSecretRequest("v-x", null, null, null, null));
        expected.put("twice/after" + round, "v-x");
      }
    }
    try (var old = Files.list(data)) {
      for (Path p :
          old.filter(p -> p.getFileName().toString().startsWith("root.key.old-")).toList()) {
        Files.delete(p);
      }
    }

    Path issued = dir.resolve("issued.token");
    Operator.issue(
        RunningServer.config(data, Optional.empty()),
        issued,
        Clock.systemUTC(),
        new SecureRandom());

    try (RunningServer server = RunningServer.start(data)) {
      RootKeyChecks.assertAllRead(server.client(), expected);
      assertThat(server.client().verifyAudit(Optional.empty()).ok()).isTrue();
      assertThat(server.client(Files.readString(issued).strip()).whoami().grants())
          .containsExactly("admin:*");
    }
  }

  @Test
  void rotate_withoutAdminStar_isRefusedAndNothingIsWritten() throws Exception {
    Path data = dir.resolve("data");
    try (RunningServer server = RunningServer.start(data)) {
      server.client().put("app/x", new PutSecretRequest("v-1", null, null, null, null));
      String before = server.client().rootKey().rootKeyId();
      for (String grant : List.of("admin:app/*", "rotate:*", "write:*", "read:*", "list:*")) {
        String token = server.token(grant);

        RunningServer.Raw post = server.raw("POST", "/v1/root-key/rotate", token, null);
        RunningServer.Raw get = server.raw("GET", "/v1/root-key", token, null);

        assertThat(post.status()).as(grant + ": " + post.body()).isEqualTo(403);
        assertThat(get.status()).as(grant + ": " + get.body()).isEqualTo(403);
      }
      assertThat(server.raw("POST", "/v1/root-key/rotate", null, null).status()).isEqualTo(401);
      assertThat(server.raw("POST", "/v1/root-key/rotate", "kt_forged;\r\nx", null).status())
          .isIn(400, 401);
      assertThat(data.resolve("root.key.new")).doesNotExist();
      assertThat(server.client().rootKey().state()).isEqualTo("idle");
      assertThat(server.client().rootKey().rootKeyId()).isEqualTo(before);
      assertThat(
              server
                  .raw(
                      "GET",
                      "/v1/audit?action=root-key.rotate&result=denied",
                      server.rootToken(),
                      null)
                  .body())
          .contains("root-key.rotate");
    }
  }

  @Test
  void rotate_keyFromEnvironment_isRefusedWithTheReasonAndNothingIsWritten() throws Exception {
    Path data = dir.resolve("data");
    String key = RootKey.generate(new SecureRandom()).toBase64Line().strip();
    try (RunningServer server = RunningServer.start(data, Optional.of(key))) {
      WireClient root = server.client();

      assertThatThrownBy(root::rotateRootKey)
          .isInstanceOf(KeyturnClientException.class)
          .hasMessageContaining("KEYTURN_ROOT_KEY")
          .extracting(e -> ((KeyturnClientException) e).status())
          .isEqualTo(409);
      assertThat(data.resolve("root.key.new")).doesNotExist();
      assertThat(root.rootKey().state()).isEqualTo("idle");
    }
  }

  @Test
  void rotate_sealedServer_answers503() throws Exception {
    Path data = dir.resolve("data");
    try (RunningServer server = RunningServer.start(data)) {
      String token = server.rootToken();
      server.client().seal();

      RunningServer.Raw r = server.raw("POST", "/v1/root-key/rotate", token, null);

      assertThat(r.status()).as(r.body()).isEqualTo(503);
      assertThat(r.body()).contains("sealed");
      assertThat(data.resolve("root.key.new")).doesNotExist();
    }
  }

  @Test
  void rotate_editedRowBefore_stopsWithIntegrityAndOthersStillRead() throws Exception {
    Path data = dir.resolve("data");
    Map<String, String> expected = new ConcurrentHashMap<>();
    try (RunningServer server = RunningServer.start(data)) {
      RootKeyChecks.fill(server.client(), "edit/", 30, expected);
    }
    RootKeyChecks.sqlite(
        data,
        "UPDATE versions SET created_by = 'mallory'"
            + " WHERE secret_id = (SELECT id FROM secrets WHERE name = 'edit/s6')");
    expected.remove("edit/s6");

    try (RunningServer server = RunningServer.start(data)) {
      server.client().rotateRootKey();
      RootKeyStatus stopped = RootKeyChecks.awaitEnd(server.client());

      assertThat(stopped.state()).isEqualTo("failed");
      assertThat(stopped.note()).contains("edit/s6").contains("resumes");
      RootKeyChecks.assertAllRead(server.client(), expected);
      assertThat(data.resolve("root.key.new")).exists();
    }
    // The rotation stays recorded; a restart opens with both keys.
    try (RunningServer server = RunningServer.start(data)) {
      RootKeyChecks.assertAllRead(server.client(), expected);
      assertThat(server.client().rootKey().state()).isIn("rotating", "failed");
    }
  }

  @Test
  void rotate_thenRowsEdited_areStillCaught() throws Exception {
    Path data = dir.resolve("data");
    Map<String, String> expected = new ConcurrentHashMap<>();
    String reader;
    try (RunningServer server = RunningServer.start(data)) {
      RootKeyChecks.fill(server.client(), "after/", 10, expected);
      reader = server.token("read:after/s1");
      server.client().rotateRootKey();
      assertThat(RootKeyChecks.awaitEnd(server.client()).state()).isEqualTo("idle");
    }
    RootKeyChecks.sqlite(
        data,
        "UPDATE versions SET stage = 'retired'"
            + " WHERE secret_id = (SELECT id FROM secrets WHERE name = 'after/s2')");
    RootKeyChecks.sqlite(
        data, "UPDATE tokens SET grants = 'admin:*' WHERE grants = 'read:after/s1'");

    try (RunningServer server = RunningServer.start(data)) {
      RunningServer.Raw edited =
          server.raw("GET", "/v1/secrets/after/s2", server.rootToken(), null);
      RunningServer.Raw widened = server.raw("GET", "/v1/secrets/after/s5", reader, null);

      assertThat(edited.status()).as(edited.body()).isEqualTo(500);
      assertThat(edited.body()).contains("\"integrity\"").doesNotContain("v-");
      assertThat(widened.status()).as(widened.body()).isEqualTo(500);
      assertThat(widened.body()).contains("\"integrity\"");
    }
  }

  @Test
  void start_rotationRecordedButNewKeyFileGone_isRefusedWithWhatToDo() throws Exception {
    Path data = dir.resolve("data");
    try (RunningServer server = RunningServer.start(data)) {
      RootKeyChecks.fill(server.client(), "gone/", 5, new ConcurrentHashMap<>());
    }
    // A rotation recorded as if a crash hit right after its first step.
    String from = RootKey.fromBase64(Files.readString(data.resolve("root.key"))).id();
    RootKey next = RootKey.generate(new SecureRandom());
    RootKeyChecks.sqlite(
        data,
        "INSERT INTO settings (key, value) VALUES ('root-key-rotation', '"
            + from
            + " "
            + next.id()
            + "')");

    assertThatThrownBy(() -> RunningServer.start(data))
        .hasMessageContaining("root key rotation from " + from + " to " + next.id())
        .hasMessageContaining("root.key.new");

    Files.writeString(data.resolve("root.key.new"), next.toBase64Line());
    Files.setPosixFilePermissions(
        data.resolve("root.key.new"), PosixFilePermissions.fromString("rw-------"));
    try (RunningServer server = RunningServer.start(data)) {
      RootKeyStatus ended = RootKeyChecks.awaitEnd(server.client());
      assertThat(ended.state()).isEqualTo("idle");
      assertThat(ended.rootKeyId()).isEqualTo(next.id());
      assertThat(server.client().verifyAudit(Optional.empty()).ok()).isTrue();
    }
  }

  @Test
  void start_rotationEndedButFilesNotRenamed_finishesTheRenames() throws Exception {
    Path data = dir.resolve("data");
    Map<String, String> expected = new ConcurrentHashMap<>();
    String from;
    String to;
    try (RunningServer server = RunningServer.start(data)) {
      RootKeyChecks.fill(server.client(), "renames/", 5, expected);
      from = server.client().rootKey().rootKeyId();
      server.client().rotateRootKey();
      to = RootKeyChecks.awaitEnd(server.client()).rootKeyId();
    }
    // As a crash between the store's last transaction and the renames leaves the files.
    Files.move(data.resolve("root.key"), data.resolve("root.key.new"));
    Files.move(data.resolve("root.key.old-" + from), data.resolve("root.key"));

    try (RunningServer server = RunningServer.start(data)) {
      RootKeyChecks.assertAllRead(server.client(), expected);
      assertThat(server.client().rootKey().rootKeyId()).isEqualTo(to);
    }
    assertThat(RootKey.fromBase64(Files.readString(data.resolve("root.key"))).id()).isEqualTo(to);
    assertThat(data.resolve("root.key.new")).doesNotExist();
    assertThat(data.resolve("root.key.old-" + from)).exists();
  }

  private static RuleBody rule() {
    return new RuleBody(
        "hex:32", "30d", null, "1h", "overlap", null, null, "ops", null, null, null, null, null,
        null, null, null, null, null);
  }
}
