package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RootKeyStatus;
import dev.keyturn.api.RuleBody;
import dev.keyturn.client.internal.WireClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root key rotations of a real server in a child process, SIGKILLed at random moments of them and
 * restarted, round after round: afterwards every secret reads, every row is wrapped by the key in
 * force, tokens and rules verify, and the audit chain verifies, also with the old key files gone.
 * The 100,000-secret version of this is {@code bench/root-key-rotate.sh}.
 */
class RootKeyCrashTest {
  private static final int SECRETS = 600;
  private static final int ROUNDS = 5;
  @TempDir Path dir;

  @Test
  void sqlite_killAtRandomMomentsOfRotations_restartsResumeAndEverythingOpensUnderTheLastKey()
      throws Exception {
    Path data = dir.resolve("data");
    killAndRestart(data, List.of(), "jdbc:sqlite:" + data.resolve("keyturn.db"), SECRETS);
  }

  @Test
  void postgres_killAtRandomMomentsOfRotations_restartsResumeAndEverythingOpensUnderTheLastKey()
      throws Exception {
    String base = dev.keyturn.testing.TestServices.postgresUrl();
    String schema = "kt_rkcrash_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    RootKeyChecks.execute(base, "CREATE SCHEMA " + schema);
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    killAndRestart(dir.resolve("pg"), List.of("--store", url), url, SECRETS / 2);
  }

  private void killAndRestart(Path data, List<String> options, String url, int secrets)
      throws Exception {
    Map<String, String> expected = new ConcurrentHashMap<>();
    ChildServer server = ChildServer.start(data, options);
    WireClient root = server.client();
    RootKeyChecks.fill(root, "crash/", secrets, expected);
    root.putRule(
        "crash/s1",
        new RuleBody(
            "hex:32", "30d", null, "1h", "overlap", null, null, "ops", null, null, null, null, null,
            null, null, null, null, null));
    String reader =
        root.createToken(
                new dev.keyturn.api.TokenCreateRequest("reader", List.of("read:crash/*"), null))
            .token();

    // One rotation unharmed, to learn how long one takes here.
    long began = System.nanoTime();
    root.rotateRootKey();
    assertThat(RootKeyChecks.awaitEnd(root).state()).isEqualTo("idle");
    long millis = Math.max(50, (System.nanoTime() - began) / 1_000_000);

    int killedWhileRotating = 0;
    for (int round = 0; round < ROUNDS; round++) {
      WireClient c = server.client();
      if (!c.rootKey().state().equals("rotating")) {
        c.rotateRootKey();
      }
      // The first kill comes right after the rotation began, before its rewrap can end, so some
      // kill surely hits a running rotation; the others at random moments after a write made
      // during the rotation.
      if (round > 0) {
        int written = round;
        c.put("crash/during" + written, new PutSecretRequest("v-during", null, null, null, null));
        expected.put("crash/during" + written, "v-during");
        Thread.sleep(ThreadLocalRandom.current().nextLong(0, millis + millis / 4));
      }
      if (c.rootKey().state().equals("rotating")) {
        killedWhileRotating++;
      }
      server.kill();
      server = ChildServer.start(data, options);
    }

    WireClient after = server.client();
    RootKeyStatus last = RootKeyChecks.awaitEnd(after);
    assertThat(last.state()).as(last.note()).isEqualTo("idle");
    assertThat(killedWhileRotating).as("kills that hit a running rotation").isPositive();
    RootKeyChecks.assertAllRead(server.client(reader), expected);
    assertThat(after.rule("crash/s1").rule().generate()).isEqualTo("hex:32");
    assertThat(after.verifyAudit(Optional.empty()).ok()).isTrue();
    server.kill();
    RootKeyChecks.assertWrappedBy(url, last.rootKeyId());

    try (var files = Files.list(data)) {
      for (Path p :
          files.filter(p -> p.getFileName().toString().startsWith("root.key.old-")).toList()) {
        Files.delete(p);
      }
    }
    server = ChildServer.start(data, options);
    try {
      WireClient again = server.client();
      RootKeyChecks.assertAllRead(server.client(reader), expected);
      assertThat(again.verifyAudit(Optional.empty()).ok()).isTrue();
      assertThat(again.rootKey().rootKeyId()).isEqualTo(last.rootKeyId());
    } finally {
      server.kill();
    }
  }
}
