package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /v1/watch} on SQLite: version events filtered by prefix and grants, never a value;
 * Last-Event-ID replay and reset; a revoked token's stream ends; streams do not count against the
 * per-client request cap but against {@code --max-streams}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WatchTest {
  private static final String CANARY = "canary-watch-5d1e0b";

  @TempDir static Path dir;
  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private void put(String name, String value) {
    server.client().put(name, new PutSecretRequest(value, null, null, null, null));
  }

  private SseClient watch(String query, String token, String lastEventId) throws Exception {
    return new SseClient(server.port(), "/v1/watch" + query, token, lastEventId);
  }

  private static JsonNode data(SseClient.Message m) {
    return WireJson.mapper().readTree(m.data());
  }

  @Test
  void put_arrivesAsOneVersionEventPerStageChange_filteredByGrant_withoutValue() throws Exception {
    String dev = server.token("read:w1/dev/*");
    try (SseClient stream = watch("?prefix=w1", dev, null)) {
      assertThat(stream.status).contains("200");
      stream.untilReady();

      put("w1/prod/KEY", CANARY + "-prod");
      put("w1/dev/KEY", CANARY + "-1");
      put("w1/dev/KEY", CANARY + "-2");
      SseClient.Message first = stream.nextEvent();
      SseClient.Message second = stream.nextEvent();
      SseClient.Message third = stream.nextEvent();

      assertThat(first.type()).isEqualTo("version");
      assertThat(data(first).get("name").stringValue()).isEqualTo("w1/dev/KEY");
      assertThat(data(first).get("version").intValue()).isEqualTo(1);
      assertThat(data(first).get("stage").stringValue()).isEqualTo("current");
      assertThat(data(first).get("at").stringValue()).isNotEmpty();
      List<String> rest = List.of(second.data(), third.data());
      assertThat(rest)
          .anySatisfy(d -> assertThat(d).contains("\"version\":1").contains("\"retired\""))
          .anySatisfy(d -> assertThat(d).contains("\"version\":2").contains("\"current\""));
      assertThat(Long.parseLong(third.id()))
          .isGreaterThan(Long.parseLong(second.id()))
          .isGreaterThan(Long.parseLong(first.id()));
      for (SseClient.Message m : List.of(first, second, third)) {
        assertThat(m.data()).doesNotContain(CANARY).doesNotContain("w1/prod");
      }
    }
  }

  @Test
  void listOnly_andReadOnly_bothSeeEvents_otherCapabilitiesDoNot() throws Exception {
    try (SseClient lister = watch("?prefix=w2", server.token("list:w2/*"), null);
        SseClient reader = watch("?prefix=w2", server.token("read:w2/*"), null);
        SseClient writer = watch("?prefix=w2", server.token("write:w2/*", "rotate:w2/*"), null)) {
      lister.untilReady();
      reader.untilReady();
      writer.untilReady();

      put("w2/A", CANARY);
      put("w3/OUTSIDE", CANARY);
      SseClient.Message forLister = lister.nextEvent();
      SseClient.Message forReader = reader.nextEvent();
      writer.close();

      assertThat(data(forLister).get("name").stringValue()).isEqualTo("w2/A");
      assertThat(data(forReader).get("name").stringValue()).isEqualTo("w2/A");
    }
    // The writer's stream got nothing: a fresh one replaying from before shows only w2/A's
    // event to a reader, and none to the writer.
    try (SseClient writer = watch("?prefix=w2", server.token("write:w2/*", "rotate:w2/*"), "0")) {
      assertThat(writer.untilReady()).isEmpty();
    }
  }

  @Test
  void lastEventId_replaysWhatWasMissed_thenGoesLive() throws Exception {
    String token = server.token("read:w4/*");
    String seen;
    try (SseClient stream = watch("?prefix=w4", token, null)) {
      stream.untilReady();
      put("w4/A", "a1");
      seen = stream.nextEvent().id();
    }
    put("w4/B", "b1");
    put("w4/C", "c1");

    try (SseClient again = watch("?prefix=w4", token, seen)) {
      List<SseClient.Message> seenAgain = new ArrayList<>(again.untilReady());
      put("w4/D", "d1");
      // C may have committed after the replay read the table: then it follows live, in order.
      while (seenAgain.stream().noneMatch(m -> m.data().contains("w4/D"))) {
        seenAgain.add(again.nextEvent());
      }

      assertThat(seenAgain)
          .extracting(m -> data(m).get("name").stringValue())
          .containsExactly("w4/B", "w4/C", "w4/D");
    }
  }

  @Test
  void unknownOrMalformedLastEventId_getsReset() throws Exception {
    String token = server.token("read:w5/*");
    for (String id : List.of("999999999999", "abc", "-1", "1e3")) {
      try (SseClient stream = watch("?prefix=w5", token, id)) {
        List<SseClient.Message> before = stream.untilReady();

        assertThat(before).extracting(SseClient.Message::type).as(id).containsExactly("reset");
      }
    }
  }

  @Test
  void revokedToken_endsItsStream() throws Exception {
    String token = server.token("read:w6/*");
    String id = server.client(token).whoami().tokenId();
    try (SseClient stream = watch("?prefix=w6", token, null)) {
      stream.untilReady();

      server.client().revokeToken(id);
      List<SseClient.Message> after = new ArrayList<>();
      SseClient.Message m;
      while ((m = stream.next()) != null && m != SseClient.END) {
        after.add(m);
      }

      assertThat(m).as("the stream ended; before that: " + after).isEqualTo(SseClient.END);
    }
  }

  @Test
  void streams_doNotCountAgainstThePerClientCap_butAgainstMaxStreams() throws Exception {
    List<SseClient> open = new ArrayList<>();
    try (RunningServer server =
        RunningServer.start(
            RunningServer.config(dir.resolve("capped"), Optional.empty()).toBuilder()
                .limits(new HttpLimits(2, Duration.ofSeconds(10), Duration.ofSeconds(30), 1024, 4))
                .build(),
            Clock.systemUTC())) {
      String token = server.token("read:w7/*");
      for (int i = 0; i < 3; i++) {
        SseClient s = new SseClient(server.port(), "/v1/watch?prefix=w7", token, null);
        open.add(s);
        s.untilReady();
      }
      // A stream is counted by the hub just after its first bytes reach the client: wait for it.
      String metrics = server.raw("GET", "/metrics", null, null).body();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!metrics.contains("\nkeyturn_watch_streams 3.0\n") && System.nanoTime() < deadline) {
        Thread.sleep(20);
        metrics = server.raw("GET", "/metrics", null, null).body();
      }
      RunningServer.Raw plain = server.raw("GET", "/v1/whoami", token, null);
      RunningServer.Raw streamFour = server.raw("GET", "/v1/watch?prefix=w7", token, null);
      RunningServer.Raw streamFive = server.raw("GET", "/v1/watch?prefix=w7", token, null);

      assertThat(metrics).contains("\nkeyturn_watch_streams 3.0\n");
      assertThat(plain.status()).as("3 streams, cap of 2 requests per client").isEqualTo(200);
      assertThat(streamFour.status()).isEqualTo(200);
      assertThat(streamFive.status()).as(streamFive.body()).isEqualTo(429);
      assertThat(streamFive.body()).contains("too_many_requests");
    } finally {
      for (SseClient s : open) {
        s.close();
      }
    }
  }

  @Test
  void hostilePrefix_is400() {
    RunningServer.Raw r =
        server.raw("GET", "/v1/watch?prefix=w8/../x", server.token("read:*"), null);

    assertThat(r.status()).isEqualTo(400);
  }
}
