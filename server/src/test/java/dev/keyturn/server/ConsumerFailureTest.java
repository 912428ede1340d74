package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.testing.FixedClock;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A consumer that could not apply a version (an agent whose reload or health check failed) reports
 * it in its registration ({@code "failed"}): the server audits it, announces it once through {@code
 * --notify-url} ({@code delivery.fail}) and shows it on the status board while the consumer is
 * live, to the tokens that may list the secret only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsumerFailureTest {
  private static final String CANARY = "canary-delivery-7f3e9a";
  @TempDir static Path dir;
  private final FixedClock clock = new FixedClock(Instant.parse("2027-03-01T08:00:00Z"));
  private final List<JsonNode> notified = new CopyOnWriteArrayList<>();
  private HttpServer receiver;
  private RunningServer server;

  @BeforeAll
  void start() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/",
        exchange -> {
          notified.add(WireJson.mapper().readTree(exchange.getRequestBody().readAllBytes()));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    receiver.start();
    ServerConfig config =
        RunningServer.config(dir.resolve("data"), Optional.empty()).toBuilder()
            .notifyUrl(
                "http://127.0.0.1:" + receiver.getAddress().getPort() + "/notify", Optional.empty())
            .build();
    server = RunningServer.start(config, clock);
  }

  @AfterAll
  void stop() {
    server.close();
    receiver.stop(0);
  }

  private RunningServer.Raw put(String token, String id, String holding) {
    String body =
        "{\"name\":\"web-1\",\"kind\":\"agent\",\"ttl_seconds\":60,\"secrets\":[" + holding + "]}";
    return server.raw("PUT", "/v1/consumers/" + id, token, body.getBytes(StandardCharsets.UTF_8));
  }

  private static String holding(String name, int using, String failed) {
    return "{\"name\":\""
        + name
        + "\",\"using\":"
        + using
        + ",\"accepting\":[]"
        + (failed == null ? "" : ",\"failed\":" + failed)
        + "}";
  }

  private JsonNode statusRow(String token, String name) {
    RunningServer.Raw r = server.raw("GET", "/v1/status?prefix=" + name, token, null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    for (JsonNode row : WireJson.mapper().readTree(r.body()).get("secrets")) {
      if (row.get("name").stringValue().equals(name)) {
        return row;
      }
    }
    throw new AssertionError(name + " is not on the board: " + r.body());
  }

  private List<JsonNode> notificationsFor(String name) {
    return notified.stream()
        .filter(n -> n.get("event").stringValue().equals("delivery.fail"))
        .filter(n -> n.get("secret").stringValue().equals(name))
        .toList();
  }

  private static void waitFor(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < end) {
      Thread.sleep(20);
    }
  }

  @Test
  void failedVersion_isAuditedNotifiedOnceAndOnTheBoardUntilItClears() throws Exception {
    String name = "fail/a/HMAC";
    server.client().put(name, new PutSecretRequest(CANARY + "-1", null, null, null, null));
    server.client().put(name, new PutSecretRequest(CANARY + "-2", null, null, null, null));
    String agent = server.token("read:fail/a/*");
    String lister = server.token("list:fail/a/*");

    RunningServer.Raw first = put(agent, "agent.web-1.1", holding(name, 1, "2"));
    RunningServer.Raw again = put(agent, "agent.web-1.1", holding(name, 1, "2"));
    waitFor(() -> !notificationsFor(name).isEmpty());
    Thread.sleep(300);

    assertThat(first.status()).as(first.body()).isEqualTo(200);
    assertThat(again.status()).as(again.body()).isEqualTo(200);
    JsonNode row = statusRow(lister, name);
    assertThat(row.get("failed_consumers")).hasSize(1);
    assertThat(row.get("failed_consumers").get(0).get("consumer").stringValue())
        .isEqualTo("agent.web-1.1");
    assertThat(row.get("failed_consumers").get(0).get("failed").intValue()).isEqualTo(2);
    assertThat(row.get("failed_consumers").get(0).get("using").intValue()).isEqualTo(1);
    List<JsonNode> sent = notificationsFor(name);
    assertThat(sent).hasSize(1);
    assertThat(sent.get(0).get("state").stringValue()).isEqualTo("failed");
    assertThat(sent.get(0).get("text").stringValue())
        .contains("agent.web-1.1")
        .contains("could not apply version 2");
    assertThat(notified.toString()).doesNotContain(CANARY);
    List<AuditRecordInfo> audited =
        server
            .client()
            .audit(
                Optional.empty(),
                Optional.empty(),
                Optional.of("consumer.register"),
                Optional.of(1000))
            .records()
            .stream()
            .filter(r -> r.detail().contains("agent.web-1.1"))
            .toList();
    assertThat(audited).anySatisfy(r -> assertThat(r.detail()).contains("failed to apply #2"));
    assertThat(audited.toString()).doesNotContain(CANARY);

    put(agent, "agent.web-1.1", holding(name, 2, null));

    assertThat(statusRow(lister, name).has("failed_consumers")).isFalse();
    RunningServer.Raw consumers = server.raw("GET", "/v1/consumers?secret=" + name, agent, null);
    assertThat(consumers.body()).doesNotContain("failed");
  }

  @Test
  void failedConsumer_thatGoesStale_leavesTheBoard() {
    String name = "fail/b/HMAC";
    server.client().put(name, new PutSecretRequest("x1-value", null, null, null, null));
    server.client().put(name, new PutSecretRequest("x2-value", null, null, null, null));
    String agent = server.token("read:" + name);

    put(agent, "agent.web-2.1", holding(name, 1, "2"));
    assertThat(statusRow(server.rootToken(), name).get("failed_consumers")).hasSize(1);
    clock.advance(Duration.ofSeconds(61));

    assertThat(statusRow(server.rootToken(), name).has("failed_consumers")).isFalse();
  }

  @Test
  void failure_onASecretTheViewerCannotList_isNotShownToIt() {
    String name = "fail/c/HMAC";
    server.client().put(name, new PutSecretRequest("y1-value", null, null, null, null));
    String agent = server.token("read:" + name);
    String other = server.token("list:fail/other/*");
    put(agent, "agent.web-3.1", holding(name, 1, "2"));

    RunningServer.Raw r = server.raw("GET", "/v1/status?prefix=fail/", other, null);

    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).doesNotContain("agent.web-3.1").doesNotContain(name);
  }

  @Test
  void badFailedValues_are400AndNothingIsStored() {
    String name = "fail/d/HMAC";
    server.client().put(name, new PutSecretRequest("z1-value", null, null, null, null));
    String agent = server.token("read:" + name);

    for (String bad : List.of("0", "-1", "1", "\"x\"", "2.5", "99999999999", "[2]")) {
      RunningServer.Raw r = put(agent, "agent.web-4.1", holding(name, 1, bad));

      assertThat(r.status()).as(bad + ": " + r.body()).isEqualTo(400);
      assertThat(r.body()).contains("\"error\"");
    }
    assertThat(server.client().consumers(name).consumers()).isEmpty();
  }

  @Test
  void consumerTogglingFailedOrNamingUnknownVersions_isNotifiedOncePerRealVersion()
      throws Exception {
    String name = "fail/e/HMAC";
    server.client().put(name, new PutSecretRequest("e1-value", null, null, null, null));
    server.client().put(name, new PutSecretRequest("e2-value", null, null, null, null));
    server.client().put(name, new PutSecretRequest("e3-value", null, null, null, null));
    String agent = server.token("read:" + name);

    for (int i = 0; i < 3; i++) {
      put(agent, "agent.web-5.1", holding(name, 1, "2"));
      put(agent, "agent.web-5.1", holding(name, 1, null));
      put(agent, "agent.web-5.1", holding(name, 1, "3"));
    }
    for (int v = 4; v < 13; v++) {
      put(agent, "agent.web-5.1", holding(name, 1, Integer.toString(v)));
    }
    waitFor(() -> notificationsFor(name).size() >= 2);
    Thread.sleep(300);

    List<JsonNode> sent = notificationsFor(name);
    assertThat(sent).hasSize(2);
    assertThat(sent.stream().map(n -> n.get("text").stringValue()).sorted().toList())
        .satisfiesExactly(
            t -> assertThat(t).contains("could not apply version 2"),
            t -> assertThat(t).contains("could not apply version 3"));
  }
}
