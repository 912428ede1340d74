package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.testing.FixedClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code /v1/consumers} through the real server on a fixed clock (issue 18 item 2): who may
 * register and list, ids that belong to their token, bad input, what is audited, and a previous
 * version held past its grace by a live consumer as reads, keyrings and the status board see it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsumersApiTest {
  private static final Instant T0 = Instant.parse("2027-03-01T08:00:00Z");
  @TempDir static Path dir;
  private final FixedClock clock = new FixedClock(T0);
  private final AtomicInteger counter = new AtomicInteger();
  private RunningServer server;

  @BeforeAll
  void start() {
    server =
        RunningServer.start(RunningServer.config(dir.resolve("data"), Optional.empty()), clock);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  /** A fresh folder with secret KEY (version 1 current) in it. */
  private String secret() {
    String name = "cons/" + counter.incrementAndGet() + "/KEY";
    server.client().put(name, new PutSecretRequest("v1-value-x9", null, null, null, null));
    return name;
  }

  private static String body(String kind, int ttl, String... holdings) {
    return "{\"name\":\"web-1: gunicorn\",\"kind\":\""
        + kind
        + "\",\"ttl_seconds\":"
        + ttl
        + ",\"secrets\":["
        + String.join(",", holdings)
        + "]}";
  }

  private static String holding(String name, int using, String accepting) {
    return "{\"name\":\"" + name + "\",\"using\":" + using + ",\"accepting\":[" + accepting + "]}";
  }

  private RunningServer.Raw put(String token, String id, String body) {
    return server.raw("PUT", "/v1/consumers/" + id, token, body.getBytes(StandardCharsets.UTF_8));
  }

  private JsonNode json(RunningServer.Raw r) {
    return WireJson.mapper().readTree(r.body());
  }

  private List<AuditRecordInfo> audit(String action) {
    return server
        .client()
        .audit(Optional.empty(), Optional.empty(), Optional.of(action), Optional.of(1000))
        .records();
  }

  @Test
  void register_withReadOnTheSecret_isListedForReadersOnly() {
    String name = secret();
    String reader = server.token("read:" + name);
    String elsewhere = server.token("read:other/*", "admin:other/*");
    String lister = server.token("list:" + name, "write:" + name, "rotate:" + name);

    RunningServer.Raw registered = put(reader, "web-1.a", body("run", 90, holding(name, 1, "1")));
    RunningServer.Raw listed = server.raw("GET", "/v1/consumers?secret=" + name, reader, null);

    assertThat(registered.status()).as(registered.body()).isEqualTo(200);
    assertThat(json(registered).get("token_id").stringValue()).startsWith("tok_");
    assertThat(listed.status()).isEqualTo(200);
    JsonNode c = json(listed).get("consumers").get(0);
    assertThat(c.get("id").stringValue()).isEqualTo("web-1.a");
    assertThat(c.get("kind").stringValue()).isEqualTo("run");
    assertThat(c.get("secrets").get(0).get("using").intValue()).isEqualTo(1);
    assertThat(c.get("expires_at").stringValue())
        .isEqualTo(clock.instant().plusSeconds(90).toString());
    for (String refused : List.of(elsewhere, lister)) {
      RunningServer.Raw put = put(refused, "web-1.b", body("run", 90, holding(name, 1, "")));
      RunningServer.Raw get = server.raw("GET", "/v1/consumers?secret=" + name, refused, null);
      assertThat(put.status()).as(put.body()).isEqualTo(403);
      assertThat(put.body()).contains("\"code\":\"forbidden\"");
      assertThat(get.status()).as(get.body()).isEqualTo(403);
    }
    assertThat(server.client().consumers(name).consumers())
        .extracting(dev.keyturn.api.ConsumerInfo::id)
        .containsExactly("web-1.a");
  }

  @Test
  void register_namingASecretTheTokenCannotRead_isRefusedAndNothingIsStored() {
    String name = secret();
    String other = secret();
    String reader = server.token("read:" + name);

    RunningServer.Raw r =
        put(reader, "web-2", body("agent", 90, holding(name, 1, ""), holding(other, 1, "")));

    assertThat(r.status()).as(r.body()).isEqualTo(403);
    assertThat(server.client().consumers(name).consumers()).isEmpty();
  }

  @Test
  void anotherToken_takingAnExistingId_gets409AndTheHoldingsStay() {
    String name = secret();
    String production = server.token("read:" + name);
    String development = server.token("read:" + name);
    put(production, "api.prod", body("sdk", 90, holding(name, 1, "1")));

    RunningServer.Raw taken = put(development, "api.prod", body("sdk", 90, holding(name, 2, "2")));
    RunningServer.Raw removed = server.raw("DELETE", "/v1/consumers/api.prod", development, null);

    assertThat(taken.status()).as(taken.body()).isEqualTo(409);
    assertThat(taken.body()).contains("\"code\":\"conflict\"");
    assertThat(removed.status()).as(removed.body()).isEqualTo(409);
    JsonNode held = json(server.raw("GET", "/v1/consumers?secret=" + name, production, null));
    assertThat(held.get("consumers").get(0).get("secrets").get(0).get("using").intValue())
        .isEqualTo(1);
  }

  @Test
  void oneToken_registeringMoreThanItsShare_is409AndAnotherTokenStillRegisters() {
    // Every registration is loaded whenever its secret's keyring, status or retirement is
    // judged, so one read token must not be able to pile up consumers without end.
    String name = secret();
    String flooder = server.token("read:" + name);
    String other = server.token("read:" + name);
    for (int i = 0; i < ConsumersApi.MAX_PER_TOKEN; i++) {
      RunningServer.Raw r = put(flooder, "flood." + i, body("run", 10, holding(name, 1, "")));
      assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    RunningServer.Raw over = put(flooder, "flood.over", body("run", 10, holding(name, 1, "")));
    RunningServer.Raw heartbeat = put(flooder, "flood.0", body("run", 10, holding(name, 1, "")));
    RunningServer.Raw elsewhere = put(other, "other.1", body("run", 10, holding(name, 1, "")));

    assertThat(over.status()).as(over.body()).isEqualTo(409);
    assertThat(over.body()).contains("\"code\":\"conflict\"").contains("at most");
    assertThat(heartbeat.status()).as("an existing consumer's heartbeat").isEqualTo(200);
    assertThat(elsewhere.status()).as(elsewhere.body()).isEqualTo(200);
    assertThat(server.client().consumers(name).consumers())
        .extracting(c -> c.id())
        .doesNotContain("flood.over")
        .hasSize(ConsumersApi.MAX_PER_TOKEN + 1);

    // Its stale registrations hold nothing, so they make room for new ones at once.
    clock.advance(Duration.ofSeconds(11));
    RunningServer.Raw after = put(flooder, "flood.after", body("run", 10, holding(name, 1, "")));
    assertThat(after.status()).as(after.body()).isEqualTo(200);
    assertThat(server.client().consumers(name).consumers())
        .extracting(c -> c.id())
        .containsExactly("flood.after");
  }

  @Test
  void malformedIdsTtlsKindsAndHoldings_are400WithAJsonError() {
    String name = secret();
    String reader = server.token("read:" + name);
    String ok = holding(name, 1, "1");
    List<String[]> cases =
        List.of(
            new String[] {"bad%20id", body("run", 90, ok)},
            new String[] {"a".repeat(65), body("run", 90, ok)},
            new String[] {"semi;colon", body("run", 90, ok)},
            new String[] {"ok-id", body("run", 9, ok)},
            new String[] {"ok-id", body("run", 3601, ok)},
            new String[] {"ok-id", body("daemon", 90, ok)},
            new String[] {"ok-id", body("RUN", 90, ok)},
            new String[] {"ok-id", body("run", 90)},
            new String[] {"ok-id", body("run", 90, holding(name, 0, ""))},
            new String[] {"ok-id", body("run", 90, holding(name, 1, "-1"))},
            new String[] {"ok-id", body("run", 90, ok, ok)},
            new String[] {"ok-id", body("run", 90, holding(name + "/../x", 1, ""))},
            new String[] {
              "ok-id", "{\"kind\":\"run\",\"ttl_seconds\":90,\"secrets\":[" + ok + "]}"
            },
            new String[] {
              "ok-id",
              "{\"name\":\"a\\nb\",\"kind\":\"run\",\"ttl_seconds\":90,\"secrets\":[" + ok + "]}"
            },
            new String[] {"ok-id", "{\"name\":\"a\",\"kind\":\"run\",\"secrets\":[" + ok + "]}"},
            new String[] {
              "ok-id",
              "{\"name\":\"a\",\"kind\":\"run\",\"ttl_seconds\":90,\"extra\":1,\"secrets\":["
                  + ok
                  + "]}"
            });

    for (String[] c : cases) {
      RunningServer.Raw r = put(reader, c[0], c[1]);

      assertThat(r.status()).as(c[0] + " " + c[1] + ": " + r.body()).isEqualTo(400);
      assertThat(r.body()).contains("\"error\"");
    }
    assertThat(server.client().consumers(name).consumers()).isEmpty();
    RunningServer.Raw noSecret = server.raw("GET", "/v1/consumers", reader, null);
    assertThat(noSecret.status()).as(noSecret.body()).isEqualTo(400);
  }

  @Test
  void registrationsChangesAndDeparturesAreAudited_heartbeatsAreNot() {
    String name = secret();
    String reader = server.token("read:" + name);
    String id = "audit-" + counter.incrementAndGet();
    int before = audit("consumer.register").size();

    put(reader, id, body("agent", 60, holding(name, 1, "1")));
    clock.advance(Duration.ofSeconds(20));
    put(reader, id, body("agent", 60, holding(name, 1, "1")));
    clock.advance(Duration.ofSeconds(20));
    put(reader, id, body("agent", 60, holding(name, 1, "1")));
    put(reader, id, body("agent", 60, holding(name, 1, "1,2")));
    RunningServer.Raw departed = server.raw("DELETE", "/v1/consumers/" + id, reader, null);
    RunningServer.Raw again = server.raw("DELETE", "/v1/consumers/" + id, reader, null);

    List<AuditRecordInfo> registered =
        audit("consumer.register").stream()
            .skip(before)
            .filter(r -> r.detail().contains(id))
            .toList();
    assertThat(registered).hasSize(2);
    assertThat(registered.get(0).detail()).startsWith("registered consumer " + id + " (agent");
    assertThat(registered.get(1).detail()).startsWith("updated consumer " + id);
    assertThat(registered.get(1).detail()).contains(name + "#1 (accepting 1,2)");
    assertThat(json(departed).get("removed").booleanValue()).isTrue();
    assertThat(json(again).get("removed").booleanValue()).isFalse();
    assertThat(audit("consumer.depart"))
        .filteredOn(r -> r.detail().contains(id))
        .hasSize(1)
        .allSatisfy(r -> assertThat(r.result()).isEqualTo("ok"));
    assertThat(server.client().consumers(name).consumers()).isEmpty();
  }

  @Test
  void previousVersion_pastItsGrace_isHeldWhileALiveConsumerUsesIt() {
    clock.set(T0);
    String name = secret();
    server.client().put(name, new PutSecretRequest("v2-value-x9", null, null, "1h", null));
    String reader = server.token("read:" + name);
    put(reader, "held.web-1", body("run", 90, holding(name, 1, "1")));
    clock.advance(Duration.ofMinutes(61));
    put(reader, "held.web-1", body("run", 90, holding(name, 1, "1")));

    JsonNode keyring =
        WireJson.mapper().readTree(server.raw("GET", "/v1/keyrings/" + name, reader, null).body());
    JsonNode status =
        WireJson.mapper()
            .readTree(
                server.raw("GET", "/v1/status?prefix=" + name, server.rootToken(), null).body());
    String previous =
        server.client().get(name, Optional.empty(), Optional.of("previous")).value().stringValue();

    assertThat(keyring.get("versions")).hasSize(2);
    assertThat(keyring.get("versions").get(1).get("stage").stringValue()).isEqualTo("previous");
    assertThat(keyring.get("versions").get(1).get("held_by").get(0).stringValue())
        .isEqualTo("held.web-1");
    assertThat(keyring.get("versions").get(0).has("held_by")).isFalse();
    assertThat(status.get("secrets").get(0).get("state").stringValue()).isEqualTo("waiting");
    assertThat(status.get("secrets").get(0).get("waiting_for").get(0).stringValue())
        .isEqualTo("held.web-1");
    assertThat(previous).isEqualTo("v1-value-x9");

    clock.advance(Duration.ofSeconds(91));

    JsonNode after =
        WireJson.mapper().readTree(server.raw("GET", "/v1/keyrings/" + name, reader, null).body());
    assertThat(after.get("versions")).hasSize(1);
  }
}
