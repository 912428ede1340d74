package dev.keyturn.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.HmacAlgorithm;
import dev.keyturn.keyring.HmacKeyring;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import dev.keyturn.keyring.KeyringException;
import dev.keyturn.keyring.VersionMatch;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The SDK's keyrings built from {@code GET /v1/keyrings/{name}}, served by a fake server. */
class KeyringClientTest {
  private static final String FERNET_OLD = FernetKeyring.generateKey(new SecureRandom());
  private static final String FERNET_NEW = FernetKeyring.generateKey(new SecureRandom());
  private static final Map<String, String> RINGS =
      Map.of(
          "app/H",
          "{\"name\":\"app/H\",\"versions\":["
              + "{\"version\":3,\"stage\":\"pending\",\"value\":\"canary-p\",\"accept_until\":null},"
              + "{\"version\":2,\"stage\":\"current\",\"value\":\"canary-c\",\"accept_until\":null},"
              + "{\"version\":1,\"stage\":\"previous\",\"value\":\"canary-o\","
              + "\"accept_until\":\"2030-01-01T00:00:00Z\"}]}",
          "app/F",
          "{\"name\":\"app/F\",\"versions\":["
              + "{\"version\":2,\"stage\":\"current\",\"value\":\""
              + FERNET_NEW
              + "\"},"
              + "{\"version\":1,\"stage\":\"previous\",\"value\":\""
              + FERNET_OLD
              + "\"}]}",
          "app/J",
          "{\"name\":\"app/J\",\"versions\":["
              + "{\"version\":1,\"stage\":\"current\",\"value\":{\"k\":\"canary-json\"}}]}",
          "app/BAD",
          "{\"name\":\"app/BAD\",\"versions\":[{\"version\":1,\"stage\":\"retired\",\"value\":\"x\"}]}");

  private HttpServer server;
  private WireClient client;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/v1/keyrings/",
        exchange -> {
          String name = exchange.getRequestURI().getPath().substring("/v1/keyrings/".length());
          byte[] body = RINGS.getOrDefault(name, "{}").getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    client =
        WireClient.builder()
            .address("http://127.0.0.1:" + server.getAddress().getPort())
            .token("kt_test")
            .build();
  }

  @AfterEach
  void stop() {
    client.close();
    server.stop(0);
  }

  @Test
  void hmacKeyring_signsWithCurrent_andVerifiesEveryVersion() {
    HmacKeyring ring = client.hmacKeyring("app/H");
    byte[] body = "payload\n".getBytes(StandardCharsets.UTF_8);
    byte[] byOld =
        HmacKeyring.of("x", List.of(KeyVersion.text(1, KeyStage.CURRENT, "canary-o")))
            .sign(HmacAlgorithm.SHA256, body);

    byte[] signed = ring.sign(HmacAlgorithm.SHA256, body);

    assertThat(ring.verify(HmacAlgorithm.SHA256, body, signed))
        .contains(new VersionMatch(2, KeyStage.CURRENT));
    assertThat(ring.verify(HmacAlgorithm.SHA256, body, byOld))
        .contains(new VersionMatch(1, KeyStage.PREVIOUS));
    assertThat(ring.toString()).doesNotContain("canary");
  }

  @Test
  void fernetKeyring_opensTokensOfThePreviousVersion() {
    FernetKeyring ring = client.fernetKeyring("app/F");
    String old =
        FernetKeyring.of("x", List.of(KeyVersion.text(1, KeyStage.CURRENT, FERNET_OLD)))
            .encrypt(new byte[] {4, 2});

    assertThat(ring.decrypt(old)).containsExactly(4, 2);
    assertThat(ring.versionOf(ring.encrypt(new byte[0])).version()).isEqualTo(2);
  }

  @Test
  void jsonValue_orUnknownStage_areRefused() {
    assertThatThrownBy(() -> client.hmacKeyring("app/J"))
        .isInstanceOf(KeyringException.InvalidKey.class)
        .hasMessage("app/J#1 (current) is a JSON value; an HMAC key is a string");
    assertThatThrownBy(() -> client.hmacKeyring("app/BAD"))
        .isInstanceOf(KeyturnClientException.class)
        .hasMessageContaining("not what this client expects");
  }
}
