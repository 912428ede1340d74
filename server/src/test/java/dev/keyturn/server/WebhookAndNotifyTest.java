package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.WireJson;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.crypto.Signatures;
import dev.keyturn.testing.FixedClock;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The webhook target and notifications against a real HTTP receiver that checks signatures the way
 * docs/rules.md tells receivers to (HMAC of timestamp + "." + body, checked with openssl too).
 */
class WebhookAndNotifyTest {
  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(Instant.now());
  private HttpServer receiver;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private volatile int status = 200;

  record Received(String path, String timestamp, String signature, byte[] body) {}

  @BeforeEach
  void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          received.add(
              new Received(
                  exchange.getRequestURI().getPath(),
                  exchange.getRequestHeaders().getFirst(Signatures.TIMESTAMP_HEADER),
                  exchange.getRequestHeaders().getFirst(Signatures.SIGNATURE_HEADER),
                  body));
          int code = exchange.getRequestURI().getPath().equals("/notify") ? 200 : status;
          exchange.sendResponseHeaders(code, -1);
          exchange.close();
        });
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + path;
  }

  @Test
  void webhookTarget_postsTheSignedValueAndNotifiesTheOutcome() throws Exception {
    ServerConfig config =
        RunningServer.config(dir.resolve("data"), Optional.empty()).toBuilder()
            .notifyUrl(url("/notify"), Optional.of("ops/SIGNING_KEY"))
            .build();
    try (RunningServer server = RunningServer.start(config, clock)) {
      WireClient root = server.client();
      root.put("ops/SIGNING_KEY", new PutSecretRequest("whsec-test-key", null, null, null, null));
      root.put("app/API_KEY", new PutSecretRequest("old", null, null, null, null));
      root.putRule(
          "app/API_KEY",
          new RuleBody(
              "base64url:24",
              null,
              null,
              "1h",
              "overlap",
              null,
              Map.of(
                  "type",
                  "webhook",
                  "url",
                  url("/set"),
                  "test-url",
                  url("/test"),
                  "signing-secret",
                  "ops/SIGNING_KEY"),
              "payments",
              null,
              null,
              null,
              null,
              null,
              null,
              null));

      RotationInfo r = root.rotate("app/API_KEY", new RotateRequest(null, null));

      assertThat(r.state()).isEqualTo("finished");
      String value = root.get("app/API_KEY").value().stringValue();
      Received set =
          received.stream().filter(x -> x.path().equals("/set")).findFirst().orElseThrow();
      JsonNode body = WireJson.mapper().readTree(set.body());
      assertThat(body.get("value").stringValue()).isEqualTo(value);
      assertThat(body.get("phase").stringValue()).isEqualTo("set");
      assertThat(body.get("version").asInt()).isEqualTo(2);
      byte[] key = "whsec-test-key".getBytes(StandardCharsets.UTF_8);
      assertThat(
              Signatures.verify(key, Long.parseLong(set.timestamp()), set.body(), set.signature()))
          .isTrue();
      assertThat(Math.abs(Long.parseLong(set.timestamp()) - clock.instant().getEpochSecond()))
          .isLessThan(300);
      assertThat(openssl(set)).isEqualTo(set.signature().substring("sha256=".length()));
      assertThat(received).extracting(Received::path).contains("/test");

      waitFor(() -> received.stream().anyMatch(x -> x.path().equals("/notify")));
      Received notice =
          received.stream().filter(x -> x.path().equals("/notify")).findFirst().orElseThrow();
      JsonNode note = WireJson.mapper().readTree(notice.body());
      assertThat(note.get("text").stringValue()).contains("app/API_KEY").contains("finished");
      assertThat(note.get("event").stringValue()).isEqualTo("rotation.finished");
      assertThat(new String(notice.body(), StandardCharsets.UTF_8)).doesNotContain(value);
      assertThat(
              Signatures.verify(
                  key, Long.parseLong(notice.timestamp()), notice.body(), notice.signature()))
          .isTrue();
    }
  }

  @Test
  void webhookThatRefuses_rollsBackAndNotifiesTheFailure() throws Exception {
    ServerConfig config =
        RunningServer.config(dir.resolve("data"), Optional.empty()).toBuilder()
            .notifyUrl(url("/notify"), Optional.empty())
            .build();
    try (RunningServer server = RunningServer.start(config, clock)) {
      WireClient root = server.client();
      root.put("ops/SIGNING_KEY", new PutSecretRequest("k", null, null, null, null));
      root.put("app/API_KEY", new PutSecretRequest("old", null, null, null, null));
      root.putRule(
          "app/API_KEY",
          new RuleBody(
              "hex:16",
              null,
              null,
              null,
              "overlap",
              null,
              Map.of("type", "webhook", "url", url("/set"), "signing-secret", "ops/SIGNING_KEY"),
              null,
              null,
              null,
              1,
              "1s",
              null,
              null,
              null));
      status = 500;

      RotationInfo r = root.rotate("app/API_KEY", new RotateRequest(null, null));

      assertThat(r.state()).isEqualTo("failed");
      assertThat(r.reason()).contains("set webhook failed (HTTP 500)");
      assertThat(received).extracting(Received::path).contains("/set");
      waitFor(() -> received.stream().anyMatch(x -> x.path().equals("/notify")));
      JsonNode note =
          WireJson.mapper()
              .readTree(
                  received.stream()
                      .filter(x -> x.path().equals("/notify"))
                      .findFirst()
                      .orElseThrow()
                      .body());
      assertThat(note.get("event").stringValue()).isEqualTo("rotation.failed");
      // The notifier audits after the receiver has answered.
      waitFor(() ->
          !root.audit(
                  Optional.empty(),
                  Optional.of("app/API_KEY"),
                  Optional.of("notification.send"),
                  Optional.empty())
              .records()
              .isEmpty());
    }
  }

  @Test
  void ruleNamingASigningSecret_needsReadOnIt() {
    try (RunningServer server =
        RunningServer.start(RunningServer.config(dir.resolve("data"), Optional.empty()), clock)) {
      server.client().put("ops/SIGNING_KEY", new PutSecretRequest("k", null, null, null, null));
      server.client().put("app/K", new PutSecretRequest("v", null, null, null, null));
      WireClient appAdmin = server.client(server.token("admin:app/*"));

      org.assertj.core.api.Assertions.assertThatThrownBy(() ->
              appAdmin.putRule(
                  "app/K",
                  new RuleBody(
                      "hex:16",
                      null,
                      null,
                      null,
                      null,
                      null,
                      Map.of(
                          "type",
                          "webhook",
                          "url",
                          url("/set"),
                          "signing-secret",
                          "ops/SIGNING_KEY"),
                      null,
                      null,
                      null,
                      null,
                      null,
                      null,
                      null,
                      null)))
          .hasMessageContaining("lacks read on ops/SIGNING_KEY");
    }
  }

  private static String openssl(Received r) throws Exception {
    Process p =
        new ProcessBuilder("openssl", "dgst", "-sha256", "-hmac", "whsec-test-key", "-r").start();
    try (var in = p.getOutputStream()) {
      in.write((r.timestamp() + ".").getBytes(StandardCharsets.US_ASCII));
      in.write(r.body());
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
    p.waitFor();
    return out.split(" ")[0];
  }

  private static void waitFor(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    dev.keyturn.testing.Eventually.waitFor(Duration.ofSeconds(10), condition);
  }
}
