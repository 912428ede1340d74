package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.WireJson;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Compare-and-set writes ({@code "cas"} on {@code PUT /v1/secrets/{name}}): the version named must
 * be the current one when the write commits, else 409 {@code cas_mismatch} and nothing written;
 * concurrent writers naming the same version on SQLite and on two nodes sharing PostgreSQL: exactly
 * one wins each round. Every outcome is checked by re-reading, not by the answer to the write.
 */
class CasWriteTest {
  private static final String CANARY = "cas-canary-5b1e";
  private static final int WRITERS = 6;
  private static final int ROUNDS = 5;

  @TempDir Path dir;

  @Test
  void cas_zeroCreatesOnlyOnce_thenNamesTheCurrentVersion() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      String root = server.rootToken();

      RunningServer.Raw created = put(server, root, "cas/A", CANARY + "-1", 0);
      RunningServer.Raw again = put(server, root, "cas/A", CANARY + "-x", 0);
      RunningServer.Raw second = put(server, root, "cas/A", CANARY + "-2", 1);
      RunningServer.Raw stale = put(server, root, "cas/A", CANARY + "-y", 1);
      RunningServer.Raw ahead = put(server, root, "cas/A", CANARY + "-z", 7);
      RunningServer.Raw negative = put(server, root, "cas/A", CANARY + "-n", -1);

      assertThat(created.status()).isEqualTo(200);
      assertThat(second.status()).isEqualTo(200);
      for (RunningServer.Raw refused : List.of(again, stale, ahead)) {
        assertThat(refused.status()).isEqualTo(409);
        assertThat(code(refused)).isEqualTo("cas_mismatch");
        assertThat(refused.body()).doesNotContain(CANARY);
      }
      assertThat(json(stale).get("error").get("message").stringValue())
          .isEqualTo("cas/A: cas 1 does not match the current version 2");
      assertThat(negative.status()).isEqualTo(400);
      assertThat(code(negative)).isEqualTo("invalid_request");
      var current = server.client().get("cas/A");
      assertThat(current.version()).isEqualTo(2);
      assertThat(current.value().asString()).isEqualTo(CANARY + "-2");
      assertThat(server.client().history("cas/A").versions()).hasSize(2);
      List<String> writes =
          server
              .client()
              .audit(Optional.empty(), Optional.of("cas/A"), Optional.empty(), Optional.empty())
              .records()
              .stream()
              .filter(r -> r.action().equals("secret.write"))
              .map(
                  r -> r.result() + " " + r.detail().replaceFirst("(^| )request=[0-9a-f]{24}$", ""))
              .toList();
      assertThat(writes)
          .as("each write audited: the stored ones with their cas, the refused ones as refused")
          .hasSize(6)
          .noneMatch(line -> line.contains(CANARY));
      assertThat(writes.get(0)).startsWith("ok ").endsWith("cas 0");
      assertThat(writes.get(2)).startsWith("ok ").endsWith("cas 1");
      assertThat(List.of(writes.get(1), writes.get(3), writes.get(4)))
          .allMatch(line -> line.startsWith("cas_mismatch"));
      assertThat(writes.get(5)).startsWith("invalid_request");
    }
  }

  @Test
  void cas_afterDelete_zeroWritesAgain() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      String root = server.rootToken();
      put(server, root, "cas/D", "one", 0);
      server.client().delete("cas/D", false);

      RunningServer.Raw oldNumber = put(server, root, "cas/D", "two", 1);
      RunningServer.Raw zero = put(server, root, "cas/D", "two", 0);

      assertThat(oldNumber.status()).isEqualTo(409);
      assertThat(zero.status()).isEqualTo(200);
      assertThat(server.client().get("cas/D").version()).isEqualTo(2);
    }
  }

  @Test
  void cas_wrongCapabilityOrAnotherName_isRefusedBeforeTheVersionIsCompared() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      String root = server.rootToken();
      put(server, root, "cas/B", CANARY, 0);
      String otherWriter = server.token("write:other/*", "read:cas/*");
      String reader = server.token("read:cas/*");

      RunningServer.Raw other = put(server, otherWriter, "cas/B", "hostile", 1);
      RunningServer.Raw otherWrong = put(server, otherWriter, "cas/B", "hostile", 5);
      RunningServer.Raw readOnly = put(server, reader, "cas/B", "hostile", 1);

      for (RunningServer.Raw refused : List.of(other, otherWrong, readOnly)) {
        assertThat(refused.status()).isEqualTo(403);
        assertThat(code(refused)).isEqualTo("forbidden");
        assertThat(refused.body()).doesNotContain("current version");
      }
      var current = server.client().get("cas/B");
      assertThat(current.version()).isEqualTo(1);
      assertThat(current.value().asString()).isEqualTo(CANARY);
    }
  }

  @Test
  void concurrentWriters_sameCas_onSqlite_exactlyOneWinsEachRound() throws Exception {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      race(List.of(server, server), server.rootToken(), "cas/RACE");
    }
  }

  @Test
  void concurrentWriters_sameCas_onTwoNodesSharingPostgres_exactlyOneWinsEachRound()
      throws Exception {
    String base = TestServices.postgresUrl();
    String schema = "kt_cas_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute(base, "CREATE SCHEMA " + schema);
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    Optional<String> key = Optional.of(RootKey.generate(new SecureRandom()).toBase64Line().strip());
    try (RunningServer a =
            RunningServer.start(
                ServerConfig.local(dir.resolve("a"), "127.0.0.1", 0, url, key), Clock.systemUTC());
        RunningServer b =
            RunningServer.start(
                ServerConfig.local(dir.resolve("b"), "127.0.0.1", 0, url, key),
                Clock.systemUTC())) {
      race(List.of(a, b), a.token("write:cas/*", "read:cas/*", "list:cas/*"), "cas/RACE");
    } finally {
      execute(base, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  /**
   * Each round, {@link #WRITERS} writers (spread over {@code nodes}) send the same cas at once; the
   * round's winner is the only version added, and its value is the one stored.
   */
  private static void race(List<RunningServer> nodes, String token, String name) throws Exception {
    RunningServer first = nodes.get(0);
    assertThat(put(first, token, name, "start", 0).status()).isEqualTo(200);
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    try {
      for (int round = 1; round <= ROUNDS; round++) {
        int cas = round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<RunningServer.Raw>> answers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          RunningServer node = nodes.get(w % nodes.size());
          String value = "round-" + round + "-writer-" + w;
          answers.add(
              pool.submit(() -> {
                go.await();
                return put(node, token, name, value, cas);
              }));
        }
        go.countDown();
        List<String> winners = new ArrayList<>();
        int mismatches = 0;
        for (int w = 0; w < WRITERS; w++) {
          RunningServer.Raw answer = answers.get(w).get();
          if (answer.status() == 200) {
            winners.add("round-" + round + "-writer-" + w);
          } else {
            assertThat(answer.status()).as(answer.body()).isEqualTo(409);
            assertThat(code(answer)).isEqualTo("cas_mismatch");
            mismatches++;
          }
        }

        assertThat(winners).as("round %d", round).hasSize(1);
        assertThat(mismatches).isEqualTo(WRITERS - 1);
        for (RunningServer node : nodes) {
          var current = node.client(token).get(name);
          assertThat(current.version()).isEqualTo(round + 1);
          assertThat(current.value().asString()).isEqualTo(winners.get(0));
        }
      }
      assertThat(first.client(token).history(name).versions()).hasSize(ROUNDS + 1);
    } finally {
      pool.shutdownNow();
    }
  }

  private static RunningServer.Raw put(
      RunningServer server, String token, String name, String value, int cas) {
    String body = "{\"value\":\"" + value + "\",\"cas\":" + cas + "}";
    return server.raw("PUT", "/v1/secrets/" + name, token, body.getBytes(StandardCharsets.UTF_8));
  }

  private static JsonNode json(RunningServer.Raw raw) {
    return WireJson.mapper().readTree(raw.body());
  }

  private static String code(RunningServer.Raw raw) {
    return json(raw).get("error").get("code").stringValue();
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute(sql);
    } catch (Exception e) {
      TestServices.unavailable("PostgreSQL", e);
    }
  }
}
