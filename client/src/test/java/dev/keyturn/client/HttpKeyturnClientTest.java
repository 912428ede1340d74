package dev.keyturn.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP client against a scripted local server: which requests are retried and how often, how
 * each failure maps to an exception, that unknown fields are ignored, that hostile names never
 * leave the process, and that no canary value reaches a message or {@code toString}.
 */
class HttpKeyturnClientTest {
  private static final String CANARY = "sdk-canary-7f3e91";
  private static final String TOKEN = "kt_sdk_canary_token_0123456789";

  private HttpServer server;
  private final Deque<String[]> answers = new ArrayDeque<>(); // status, Retry-After or "", body
  private final List<String> seen = Collections.synchronizedList(new ArrayList<>());
  private HttpKeyturnClient client;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] in = exchange.getRequestBody().readAllBytes();
          seen.add(
              exchange.getRequestMethod()
                  + " "
                  + exchange.getRequestURI().getRawPath()
                  + (exchange.getRequestURI().getRawQuery() == null
                      ? ""
                      : "?" + exchange.getRequestURI().getRawQuery())
                  + (in.length == 0 ? "" : " " + new String(in, StandardCharsets.UTF_8)));
          String[] a;
          synchronized (answers) {
            a = answers.isEmpty() ? new String[] {"500", "", "{}"} : answers.poll();
          }
          byte[] body = a[2].getBytes(StandardCharsets.UTF_8);
          if (!a[1].isEmpty()) {
            exchange.getResponseHeaders().add("Retry-After", a[1]);
          }
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(Integer.parseInt(a[0]), body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    client = builder().build();
  }

  @AfterEach
  void stop() {
    client.close();
    server.stop(0);
  }

  private HttpKeyturnClient.Builder builder() {
    return KeyturnClient.builder()
        .address("http://127.0.0.1:" + server.getAddress().getPort())
        .token(TOKEN)
        .initialBackoff(Duration.ofMillis(1))
        .maxBackoff(Duration.ofMillis(4));
  }

  private void answer(int status, String body) {
    answer(status, "", body);
  }

  private void answer(int status, String retryAfter, String body) {
    synchronized (answers) {
      answers.add(new String[] {Integer.toString(status), retryAfter, body});
    }
  }

  private static String value(String name, int version, String stage, String value) {
    return "{\"name\":\""
        + name
        + "\",\"version\":"
        + version
        + ",\"stage\":\""
        + stage
        + "\",\"value\":"
        + value
        + ",\"created_at\":\"2026-11-28T10:00:00Z\"}";
  }

  private static String error(String code, String message) {
    return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}";
  }

  @Test
  void get_after503Twice_retriesAndReturnsTheValue() {
    answer(503, error("unavailable", "store unavailable"));
    answer(503, error("unavailable", "store unavailable"));
    answer(200, value("app/A", 3, "current", "\"" + CANARY + "\""));

    SecretValue v = client.get("app/A");

    assertThat(seen)
        .containsExactly("GET /v1/secrets/app/A", "GET /v1/secrets/app/A", "GET /v1/secrets/app/A");
    assertThat(v.version()).isEqualTo(3);
    assertThat(v.stage()).isEqualTo(Stage.CURRENT);
    assertThat(v.sameAs(CANARY)).isTrue();
    assertThat(v.reveal()).isEqualTo(CANARY);
    assertThat(v.toString()).doesNotContain(CANARY).contains("[redacted]");
  }

  @Test
  void get_alwaysUnavailable_stopsAfterMaxAttempts() {
    client = builder().maxAttempts(3).build();
    for (int i = 0; i < 5; i++) {
      answer(503, error("unavailable", "store unavailable"));
    }

    assertThatThrownBy(() -> client.get("app/A"))
        .isInstanceOf(KeyturnUnavailableException.class)
        .hasMessage("store unavailable");
    assertThat(seen).hasSize(3);
  }

  @Test
  void plainPut_on503_isNotRetried() {
    answer(503, error("unavailable", "store unavailable"));
    answer(200, "{}");

    assertThatThrownBy(() -> client.put(PutRequest.text("app/A", CANARY)))
        .isInstanceOf(KeyturnUnavailableException.class)
        .hasMessageNotContaining(CANARY);
    assertThat(seen).hasSize(1);
  }

  @Test
  void casPut_on503_isRetriedWithTheSameExpectation() {
    answer(503, error("unavailable", "store unavailable"));
    answer(
        200,
        "{\"name\":\"app/A\",\"version\":4,\"stage\":\"current\","
            + "\"created_at\":\"2026-11-28T10:00:00Z\",\"accept_until\":null}");

    WriteResult written =
        client.put(PutRequest.builder("app/A").text(CANARY).expectedVersion(3).build());

    assertThat(written.version()).isEqualTo(4);
    assertThat(written.stage()).isEqualTo(Stage.CURRENT);
    assertThat(seen).hasSize(2).allMatch(r -> r.startsWith("PUT /v1/secrets/app/A "));
    assertThat(seen.get(1)).contains("\"cas\":3").contains("\"value\":\"" + CANARY + "\"");
  }

  @Test
  void casMismatch_isAConflictNamingTheCurrentVersion_andIsNotRetried() {
    answer(409, error("cas_mismatch", "app/A: cas 1 does not match the current version 2"));

    assertThatThrownBy(
            () -> client.put(PutRequest.builder("app/A").text(CANARY).expectedVersion(1).build()))
        .isInstanceOfSatisfying(
            KeyturnConflictException.class,
            e -> {
              assertThat(e.isCasMismatch()).isTrue();
              assertThat(e.currentVersion()).contains(2);
              assertThat(e.getMessage()).doesNotContain(CANARY);
            });
    assertThat(seen).hasSize(1);
  }

  @Test
  void throttled_waitsRetryAfter_thenSucceeds() {
    answer(429, "0", error("throttled", "too many requests"));
    answer(200, value("app/A", 1, "current", "\"x\""));

    assertThat(client.get("app/A").version()).isEqualTo(1);
    assertThat(seen).hasSize(2);
  }

  @Test
  void throttled_withRetryAfterAboveTheLimit_isThrownAtOnceWithTheWait() {
    client = builder().maxRetryAfter(Duration.ofSeconds(5)).build();
    answer(429, "120", error("throttled", "too many requests"));

    assertThatThrownBy(() -> client.get("app/A"))
        .isInstanceOfSatisfying(
            KeyturnThrottledException.class,
            e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(120)));
    assertThat(seen).hasSize(1);
  }

  @Test
  void plainPut_throttled_isNotRetried() {
    answer(429, "0", error("throttled", "too many requests"));

    assertThatThrownBy(() -> client.put(PutRequest.generate("app/A", "hex:32")))
        .isInstanceOf(KeyturnThrottledException.class);
    assertThat(seen).hasSize(1);
  }

  @Test
  void connectionRefused_isRetriedThenAConnectionException() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (HttpKeyturnClient down =
        KeyturnClient.builder()
            .address("http://127.0.0.1:" + port)
            .token(TOKEN)
            .maxAttempts(2)
            .initialBackoff(Duration.ofMillis(1))
            .maxBackoff(Duration.ofMillis(2))
            .build()) {

      assertThatThrownBy(() -> down.get("app/A"))
          .isInstanceOf(KeyturnConnectionException.class)
          .isInstanceOf(KeyturnUnavailableException.class)
          .hasMessageContaining("127.0.0.1:" + port)
          .hasMessageNotContaining(TOKEN);
    }
  }

  @Test
  void eachStatus_mapsToItsException() {
    answer(404, error("not_found", "app/A does not exist"));
    answer(403, error("forbidden", "the token may not read app/A"));
    answer(401, error("unauthorized", "unknown token"));
    answer(400, error("invalid_request", "bad"));
    answer(409, error("rotation_in_progress", "busy"));

    assertThatThrownBy(() -> client.get("app/A")).isInstanceOf(KeyturnNotFoundException.class);
    assertThatThrownBy(() -> client.get("app/A")).isInstanceOf(KeyturnForbiddenException.class);
    assertThatThrownBy(() -> client.get("app/A")).isInstanceOf(KeyturnUnauthorizedException.class);
    assertThatThrownBy(() -> client.get("app/A"))
        .isInstanceOf(KeyturnInvalidRequestException.class);
    assertThatThrownBy(() -> client.get("app/A"))
        .isInstanceOfSatisfying(
            KeyturnConflictException.class, e -> assertThat(e.isCasMismatch()).isFalse());
    assertThat(seen).hasSize(5);
  }

  @Test
  void unknownFields_inAnswersAndErrors_areIgnored() {
    answer(
        200,
        "{\"name\":\"app/A\",\"version\":2,\"stage\":\"current\",\"value\":\"v\","
            + "\"created_at\":\"2026-11-28T10:00:00Z\",\"surprise\":{\"new\":true}}");
    answer(404, "{\"error\":{\"code\":\"not_found\",\"message\":\"gone\",\"hint\":\"x\"}}");

    assertThat(client.get("app/A").version()).isEqualTo(2);
    assertThatThrownBy(() -> client.get("app/A"))
        .isInstanceOf(KeyturnNotFoundException.class)
        .hasMessage("gone");
  }

  @Test
  void hostileNames_areRefusedBeforeAnythingIsSent() {
    for (String name :
        List.of(
            "../etc/passwd",
            "app/../x",
            "a%2Fb",
            "a\r\nX-Evil: 1",
            "/app/A",
            "app/A/",
            "a//b",
            ".",
            "",
            "a;b",
            "a b",
            "x".repeat(257))) {
      assertThatThrownBy(() -> client.get(name))
          .as(name)
          .isInstanceOf(KeyturnInvalidRequestException.class)
          .hasMessageStartingWith("invalid secret name: ");
      assertThatThrownBy(() -> PutRequest.text(name, CANARY))
          .as(name)
          .isInstanceOf(KeyturnInvalidRequestException.class)
          .hasMessageNotContaining(CANARY);
    }
    assertThatThrownBy(() -> client.list("../x"))
        .isInstanceOf(KeyturnInvalidRequestException.class);
    assertThatThrownBy(() -> client.departConsumer("a/b"))
        .isInstanceOf(KeyturnInvalidRequestException.class);
    assertThat(seen).isEmpty();
  }

  @Test
  void keyring_isNewestFirstWithStagesAndGrace() {
    answer(
        200,
        "{\"name\":\"app/K\",\"versions\":["
            + "{\"version\":2,\"stage\":\"current\",\"value\":\"two\",\"accept_until\":null},"
            + "{\"version\":3,\"stage\":\"pending\",\"value\":{\"password\":\""
            + CANARY
            + "\",\"port\":5432},\"accept_until\":null},"
            + "{\"version\":1,\"stage\":\"previous\",\"value\":\"one\","
            + "\"accept_until\":\"2026-11-29T10:00:00Z\",\"held_by\":[\"c1\"]}]}");

    Keyring ring = client.keyring("app/K");

    assertThat(ring.versionNumbers()).containsExactly(3, 2, 1);
    assertThat(ring.current().orElseThrow().reveal()).isEqualTo("two");
    assertThat(ring.pending().orElseThrow().revealField("password")).contains(CANARY);
    assertThat(ring.pending().orElseThrow().revealField("port")).contains("5432");
    assertThat(ring.version(1).orElseThrow().acceptUntil()).isPresent();
    assertThat(ring.toString()).isEqualTo("Keyring[app/K: #3 pending, #2 current, #1 previous]");
  }

  @Test
  void put_sendsEveryOption() {
    answer(
        200,
        "{\"name\":\"db/P\",\"version\":1,\"stage\":\"pending\","
            + "\"created_at\":\"2026-11-28T10:00:00Z\",\"warnings\":[\"weak\"]}");

    WriteResult w =
        client.put(
            PutRequest.builder("db/P")
                .json("{\"username\":\"u\", \"password\":\"" + CANARY + "\"}")
                .grace(Duration.ofHours(24))
                .stage(Stage.PENDING)
                .allowPlaceholder(true)
                .build());

    assertThat(w.warnings()).containsExactly("weak");
    assertThat(seen.get(0))
        .contains("\"value_json\":{\"username\":\"u\",\"password\":\"" + CANARY + "\"}")
        .contains("\"grace\":\"86400s\"")
        .contains("\"stage\":\"pending\"")
        .contains("\"allow_placeholder\":true")
        .doesNotContainPattern("\"cas\":[0-9]");
  }

  @Test
  void toStrings_neverShowValuesOrTheToken() {
    PutRequest put = PutRequest.text("app/A", CANARY);
    SecretValue v =
        SecretValue.builder("app/A", 1, Stage.CURRENT).json("{\"p\":\"" + CANARY + "\"}").build();

    assertThat(put.toString()).doesNotContain(CANARY).contains("[redacted]");
    assertThat(v.toString()).doesNotContain(CANARY);
    assertThat(client.toString()).doesNotContain(TOKEN);
    assertThatThrownBy(() -> PutRequest.builder("app/A").json("{\"p\":\"" + CANARY + "\""))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageNotContaining(CANARY);
    assertThat(v.revealField("p").orElseThrow().equals(CANARY)).isTrue();
  }

  @Test
  void sameAs_comparesValues() {
    SecretValue a = SecretValue.builder("app/A", 1, Stage.CURRENT).text("same").build();
    SecretValue b = SecretValue.builder("app/A", 2, Stage.CURRENT).text("same").build();
    SecretValue c = SecretValue.builder("app/A", 3, Stage.CURRENT).text("other").build();

    assertThat(a.sameAs(b)).isTrue();
    assertThat(a.sameAs(c)).isFalse();
    assertThat(a.sameAs("same")).isTrue();
    assertThat(a).isNotEqualTo(b);
  }
}
