package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.HistoryResponse;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.MetadataResponse;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.StageRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.api.WriteResponse;
import dev.keyturn.client.KeyturnConflictException;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.internal.WireClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The HTTP API of a real server on SQLite, through the Java client and through raw sockets. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpApiTest {
  @TempDir static Path dir;
  private RunningServer server;
  private WireClient client;
  private String token;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    client = server.client();
    token = server.rootToken();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void health_needsNoToken() {
    RunningServer.Raw r = server.raw("GET", "/v1/health", null, null);

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains("\"status\":\"ok\"");
  }

  @Test
  void putThenGet_roundTripsStringJsonAndGenerated() {
    client.put("http/a/STRING", new PutSecretRequest("hello world", null, null, null, null));
    client.put(
        "http/a/JSON",
        new PutSecretRequest(
            null,
            WireJson.mapper().readTree("{\"user\":\"app\",\"port\":5432}"),
            null,
            null,
            null));
    WriteResponse generated =
        client.put("http/a/GEN", new PutSecretRequest(null, null, "hex:32", null, null));

    SecretValueResponse s = client.get("http/a/STRING");
    SecretValueResponse j = client.get("http/a/JSON");
    SecretValueResponse g = client.get("http/a/GEN");

    assertThat(s.value().stringValue()).isEqualTo("hello world");
    assertThat(s.version()).isEqualTo(1);
    assertThat(s.stage()).isEqualTo("current");
    assertThat(s.createdAt()).isNotBlank();
    assertThat(j.value().isObject()).isTrue();
    assertThat(j.value().get("port").asInt()).isEqualTo(5432);
    assertThat(generated.version()).isEqualTo(1);
    assertThat(g.value().stringValue()).matches("[0-9a-f]{64}");
  }

  @Test
  void graceAndStages_throughTheApi() {
    String name = "http/b/HMAC";
    client.put(name, new PutSecretRequest("old", null, null, null, null));
    client.put(name, new PutSecretRequest("new", null, null, "24h", null));
    client.put(name, new PutSecretRequest("next", null, null, null, "pending"));

    KeyringResponse ring = client.keyring(name);
    SecretValueResponse previous = client.get(name, Optional.empty(), Optional.of("previous"));
    HistoryResponse history = client.history(name);
    MetadataResponse meta = client.describe(name);

    assertThat(ring.versions())
        .extracting(v -> v.value().stringValue())
        .containsExactly("next", "new", "old");
    assertThat(ring.versions())
        .extracting(v -> v.stage())
        .containsExactly("pending", "current", "previous");
    assertThat(ring.versions().get(2).acceptUntil()).isNotNull();
    assertThat(previous.value().stringValue()).isEqualTo("old");
    assertThat(history.versions()).extracting(v -> v.version()).containsExactly(3, 2, 1);
    assertThat(meta.currentVersion()).isEqualTo(2);
    assertThat(meta.pendingVersion()).isEqualTo(3);
    assertThat(meta.previousVersion()).isEqualTo(1);
    assertThat(meta.versionCount()).isEqualTo(3);

    WriteResponse promoted = client.stage(name, new StageRequest(3, "current", null));

    assertThat(promoted.stage()).isEqualTo("current");
    assertThat(client.get(name).value().stringValue()).isEqualTo("next");
    assertThat(client.history(name).versions().get(1).stage()).isEqualTo("retired");
  }

  @Test
  void stage_disallowedMove_is409AndChangesNothing() {
    String name = "http/c/KEY";
    client.put(name, new PutSecretRequest("v1", null, null, null, null));

    assertThatThrownBy(() -> client.stage(name, new StageRequest(1, "retired", null)))
        .isInstanceOf(KeyturnConflictException.class)
        .hasMessageContaining("make another version current first");
    assertThat(client.get(name).version()).isEqualTo(1);
  }

  @Test
  void delete_retiresThenDestroy_erases() {
    String name = "http/d/KEY";
    client.put(name, new PutSecretRequest("v1", null, null, null, null));

    assertThat(client.delete(name, false).versionCount()).isEqualTo(1);
    assertThatThrownBy(() -> client.get(name)).isInstanceOf(KeyturnNotFoundException.class);
    assertThat(client.get(name, Optional.of(1), Optional.empty()).value().stringValue())
        .isEqualTo("v1");

    assertThat(client.delete(name, true).destroyed()).isTrue();
    assertThatThrownBy(() -> client.get(name, Optional.of(1), Optional.empty()))
        .isInstanceOf(KeyturnNotFoundException.class);
  }

  @Test
  void list_pagesThroughPrefix() {
    for (int i = 0; i < 5; i++) {
      client.put("http/list/K" + i, new PutSecretRequest("v", null, null, null, null));
    }

    RunningServer.Raw page1 =
        server.raw("GET", "/v1/secrets?prefix=http/list/&limit=3", token, null);

    assertThat(page1.status()).isEqualTo(200);
    var first = WireJson.mapper().readValue(page1.body(), dev.keyturn.api.SecretListResponse.class);
    assertThat(first.secrets())
        .extracting(s -> s.name())
        .containsExactly("http/list/K0", "http/list/K1", "http/list/K2");
    var second = client.list("http/list/", Optional.of(first.nextPageToken()));
    assertThat(second.secrets())
        .extracting(s -> s.name())
        .containsExactly("http/list/K3", "http/list/K4");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/v1/secrets/a/../b",
        "/v1/secrets/a/./b",
        "/v1/secrets/a//b",
        "/v1/secrets/a/",
        "/v1/secrets//a",
        "/v1/secrets/./a",
        "/v1/secrets/a/..",
        "/v1/secrets/a%2Fb",
        "/v1/secrets/a/%2e%2e/b",
        "/v1/secrets/a/%2E/b",
        "/v1/secrets/%61pp",
        "/v1/secrets/a%20b",
        "/v1/secrets/a;b",
        "/v1/keyrings/a/../b",
        "/v1/versions/a//b",
        "/v1/metadata/a/%2e%2e",
        "/v1/secrets/../../etc/passwd",
        "/v1/secrets/" + "x",
      })
  void nonCanonicalName_is400WithJsonError(String path) {
    String raw = path.equals("/v1/secrets/x") ? "/v1/secrets/" + "a".repeat(257) : path;

    RunningServer.Raw r = server.raw("GET", raw, token, null);

    assertThat(r.status()).as(raw).isEqualTo(400);
    assertThat(r.headers()).containsIgnoringCase("content-type: application/json");
    assertThat(r.body()).contains("\"error\"").contains("\"code\":\"invalid_");
  }

  @Test
  void unknownSecretAndRoute_are404() {
    RunningServer.Raw secret = server.raw("GET", "/v1/secrets/no/such/thing", token, null);
    RunningServer.Raw route = server.raw("GET", "/v1/nothing/here", token, null);
    RunningServer.Raw outside = server.raw("GET", "/index.html", token, null);

    assertThat(secret.status()).isEqualTo(404);
    assertThat(secret.body())
        .contains("\"code\":\"not_found\"")
        .contains("no/such/thing does not exist");
    assertThat(route.status()).isEqualTo(404);
    assertThat(outside.status()).isEqualTo(404);
  }

  @Test
  void bodyOver1MiB_is413() {
    byte[] big =
        ("{\"value\":\"" + "x".repeat(1024 * 1024 + 10) + "\"}").getBytes(StandardCharsets.UTF_8);

    RunningServer.Raw r = server.raw("PUT", "/v1/secrets/http/big/K", token, big);

    assertThat(r.status()).isEqualTo(413);
    assertThat(r.body()).contains("\"code\":\"payload_too_large\"");
    assertThatThrownBy(() -> client.get("http/big/K")).isInstanceOf(KeyturnNotFoundException.class);
  }

  @Test
  void chunkedBodyOver1MiB_is413() throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.server.port())) {
      var out = socket.getOutputStream();
      out.write(
          ("PUT /v1/secrets/http/big/CHUNKED HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  + "Authorization: Bearer "
                  + token
                  + "\r\nTransfer-Encoding: chunked\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      byte[] chunk = "y".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
      try {
        for (int i = 0; i < 20; i++) {
          out.write(
              (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(chunk);
          out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      } catch (java.io.IOException e) {
        // the server answered and closed early
      }
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(response).startsWith("HTTP/1.1 413");
    }
  }

  @Test
  void missingOrBadToken_is401() {
    RunningServer.Raw none = server.raw("GET", "/v1/secrets/http/a/STRING", null, null);
    RunningServer.Raw bad =
        server.raw("GET", "/v1/secrets/http/a/STRING", "kt_AAAAAAAAAAAAAAAAAAAAAA", null);
    RunningServer.Raw list = server.raw("GET", "/v1/secrets", "nope", null);

    assertThat(none.status()).isEqualTo(401);
    assertThat(none.body()).contains("\"code\":\"unauthenticated\"");
    assertThat(bad.status()).isEqualTo(401);
    assertThat(list.status()).isEqualTo(401);
  }

  @Test
  void wrongMethod_is405WithAllow() {
    RunningServer.Raw r =
        server.raw(
            "POST", "/v1/keyrings/http/a/STRING", token, "{}".getBytes(StandardCharsets.UTF_8));

    assertThat(r.status()).isEqualTo(405);
    assertThat(r.headers()).containsIgnoringCase("allow: GET");
  }

  @Test
  void badBodies_are400AndNeverEchoTheInput() {
    String canary = "canary-body-" + System.nanoTime();
    byte[] notJson = ("{\"value\": " + canary + "}").getBytes(StandardCharsets.UTF_8);
    byte[] wrongType = ("{\"value\": [\"" + canary + "\"]}").getBytes(StandardCharsets.UTF_8);
    byte[] unknown = ("{\"valu\": \"" + canary + "\"}").getBytes(StandardCharsets.UTF_8);
    byte[] both =
        ("{\"value\": \"" + canary + "\", \"generate\": \"hex:8\"}")
            .getBytes(StandardCharsets.UTF_8);
    byte[] badSpec = ("{\"generate\": \"" + canary + "\"}").getBytes(StandardCharsets.UTF_8);

    for (byte[] body : new byte[][] {notJson, wrongType, unknown, both}) {
      RunningServer.Raw r = server.raw("PUT", "/v1/secrets/http/bad/K", token, body);

      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).contains("\"code\":\"invalid_request\"").doesNotContain(canary);
    }
    assertThat(server.raw("PUT", "/v1/secrets/http/bad/K", token, unknown).body())
        .contains(
            "unknown field; this route takes allow_placeholder, cas, generate, grace, stage, value,"
                + " value_json");
    assertThat(server.raw("PUT", "/v1/secrets/http/bad/K", token, badSpec).status()).isEqualTo(400);
    assertThat(server.raw("PUT", "/v1/secrets/http/bad/K", token, new byte[0]).status())
        .isEqualTo(400);
  }

  @Test
  void badQuery_is400() {
    client.put("http/q/K", new PutSecretRequest("v", null, null, null, null));

    assertThat(server.raw("GET", "/v1/secrets/http/q/K?version=abc", token, null).status())
        .isEqualTo(400);
    assertThat(server.raw("GET", "/v1/secrets/http/q/K?version=0", token, null).status())
        .isEqualTo(400);
    assertThat(server.raw("GET", "/v1/secrets/http/q/K?stage=retired", token, null).status())
        .isEqualTo(400);
    assertThat(server.raw("GET", "/v1/secrets/http/q/K?stage=bogus", token, null).status())
        .isEqualTo(400);
    assertThat(
            server.raw("GET", "/v1/secrets/http/q/K?version=1&stage=current", token, null).status())
        .isEqualTo(400);
    assertThat(server.raw("DELETE", "/v1/secrets/http/q/K?destroy=maybe", token, null).status())
        .isEqualTo(400);
    assertThat(server.raw("GET", "/v1/secrets?page_token=!!", token, null).status()).isEqualTo(400);
  }

  @Test
  void whoami_describesTheRootToken() {
    var who = client.whoami();

    assertThat(who.tokenId()).isEqualTo("root");
    assertThat(who.grants()).containsExactly("admin:*");
    assertThat(who.expiresAt()).isNull();
  }

  @Test
  void responses_areNotCached() {
    client.put("http/cache/K", new PutSecretRequest("v", null, null, null, null));

    RunningServer.Raw r = server.raw("GET", "/v1/secrets/http/cache/K", token, null);

    assertThat(r.headers()).containsIgnoringCase("cache-control: no-store");
    assertThat(r.headers()).doesNotContainIgnoringCase("server: jetty");
  }
}
