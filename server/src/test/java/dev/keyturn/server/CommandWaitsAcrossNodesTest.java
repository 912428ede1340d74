package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.StatusRow;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.TestServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one PostgreSQL store whose configuration files declare the rule's command
 * differently (issue 11 item 5): a rotation started on one node waits while only the other is up,
 * says so in {@code GET /v1/status} and in the rotation (naming the digest), with one {@code
 * rotation.waiting} audit record, and runs once a node with the same declarations is up again. The
 * first node's clean shutdown removes its row from {@code nodes} at once, or it would count as live
 * for a minute.
 */
class CommandWaitsAcrossNodesTest {
  @TempDir Path dir;

  @Test
  void rotationStartedOnOneNode_waitsOnANodeWithOtherCommands_andRunsWhenAMatchingNodeIsUp()
      throws Exception {
    String base = TestServices.postgresUrl();
    String schema = "kt_waits_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute(base, "CREATE SCHEMA " + schema);
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    Optional<String> key = Optional.of(RootKey.generate(new SecureRandom()).toBase64Line().strip());
    Path marker = dir.resolve("healthy");
    String checkA = "commands:\n  health:\n    argv: [test, -f, '" + marker + "']\n";
    String checkB = "commands:\n  health:\n    argv: [true]\n";
    try {
      String rotationId;
      String root;
      RunningServer a = start(dir.resolve("a"), url, key, checkA);
      try (RunningServer b = start(dir.resolve("b"), url, key, checkB)) {
        root = a.rootToken();
        WireClient client = a.client();
        client.put("app/K", new PutSecretRequest("v1", null, null, null, null));
        client.putRule("app/K", rule());
        // The check fails on a (no marker yet): the step is retried later, by any node.
        RotationInfo started = client.rotate("app/K", new RotateRequest(null, null));
        rotationId = started.id();
        assertThat(started.state()).isNotIn("finished", "failed");

        a.close();

        WireClient onB = b.client(root);
        Eventually.waitFor(Duration.ofSeconds(30), () -> state(onB).equals("waiting"));
        RotationInfo shown = onB.rotation(rotationId);
        assertThat(shown.reason())
            .contains("waits for a node whose commands match")
            .containsPattern("with the digest \\S+")
            .doesNotContain("test -f");
        assertThat(waitingRecords(onB)).isEqualTo(1);
        Thread.sleep(2500); // more scheduler ticks on b: still one record
        assertThat(waitingRecords(onB)).isEqualTo(1);
        assertThat(onB.rotation(rotationId).state()).isNotIn("finished", "failed");

        Files.writeString(marker, "");
        try (RunningServer again = start(dir.resolve("a"), url, key, checkA)) {
          Eventually.waitFor(
              Duration.ofSeconds(30), () -> onB.rotation(rotationId).state().equals("finished"));
        }
        assertThat(onB.get("app/K").value().stringValue()).isNotEqualTo("v1");
        assertThat(waitingRecords(onB)).isEqualTo(1);
        assertThat(state(onB)).isNotEqualTo("waiting");
      }
    } finally {
      execute(base, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  private static RuleBody rule() {
    return new RuleBody(
        "hex:16",
        null,
        null,
        null,
        "overlap",
        null,
        null,
        null,
        null,
        null,
        20,
        "1s",
        List.of(
            Map.of("phase", "after-set", "type", "command", "check", "true", "command", "health")),
        null,
        null);
  }

  private static String state(WireClient client) {
    return client.status("app/").secrets().stream()
        .filter(r -> r.name().equals("app/K"))
        .map(StatusRow::state)
        .findFirst()
        .orElseThrow();
  }

  private static long waitingRecords(WireClient client) {
    return client
        .audit(
            Optional.empty(),
            Optional.of("app/K"),
            Optional.of("rotation.waiting"),
            Optional.empty())
        .records()
        .size();
  }

  private static RunningServer start(Path data, String url, Optional<String> key, String yaml)
      throws Exception {
    Files.createDirectories(data);
    Path file = data.resolveSibling(data.getFileName() + ".yaml");
    Files.writeString(file, yaml);
    return RunningServer.start(
        ServerConfig.local(data, "127.0.0.1", 0, url, key).toBuilder()
            .hostPolicy(ConfigFile.read(file))
            .build(),
        Clock.systemUTC());
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + " failed", e);
    }
  }
}
