package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Request bodies and headers are read strictly: no null body, no invalid Unicode, no key given
 * twice, numbers kept whole, errors in the API's terms, one Authorization header.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestBodyTest {
  @TempDir static Path dir;
  private RunningServer server;
  private String token;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    token = server.rootToken();
    server.raw("PUT", "/v1/secrets/body/R", token, utf8("{\"value\":\"v\"}"));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "PUT /v1/secrets/body/N",
        "POST /v1/stages/body/R",
        "PUT /v1/rules/body/R",
        "POST /v1/rotate/body/R",
        "POST /v1/tokens"
      })
  void nullBody_onEveryRouteThatTakesOne_is400(String route) {
    String[] parts = route.split(" ");

    RunningServer.Raw r = server.raw(parts[0], parts[1], token, utf8("null"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body())
        .contains("\"code\":\"invalid_request\"")
        .contains("must be a JSON object, not null");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[]", "\"text\"", "12", "true"})
  void bodyThatIsNotAnObject_is400(String body) {
    RunningServer.Raw r = server.raw("PUT", "/v1/secrets/body/N", token, utf8(body));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).contains("must be a JSON object");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"value\":\"\\ud800x\"}",
        "{\"value\":\"x\\udc00\"}",
        "{\"value\":\"\\udc00\\ud800\"}",
        "{\"value_json\":{\"k\":\"\\ud800\"}}",
        "{\"value_json\":{\"\\ud800\":\"v\"}}",
        "{\"value_json\":{\"a\":[\"ok\",\"\\udfff\"]}}"
      })
  void loneSurrogate_isRefusedAndNothingIsStored(String body) {
    RunningServer.Raw r = server.raw("PUT", "/v1/secrets/body/S", token, utf8(body));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).contains("\"code\":\"invalid_request\"");
    assertThat(server.raw("GET", "/v1/secrets/body/S", token, null).status()).isEqualTo(404);
  }

  @Test
  void surrogateEncodedAsUtf8Bytes_isRefused() {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(utf8("{\"value\":\"a"));
    body.writeBytes(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}); // CESU-8 for U+D800
    body.writeBytes(utf8("\"}"));

    RunningServer.Raw r = server.raw("PUT", "/v1/secrets/body/S8", token, body.toByteArray());

    assertThat(r.status()).isEqualTo(400);
    assertThat(server.raw("GET", "/v1/secrets/body/S8", token, null).status()).isEqualTo(404);
  }

  @Test
  void validSurrogatePair_isStoredWhole() {
    server.raw("PUT", "/v1/secrets/body/EMOJI", token, utf8("{\"value\":\"k\\ud83d\\udd11y\"}"));

    RunningServer.Raw r = server.raw("GET", "/v1/secrets/body/EMOJI", token, null);

    assertThat(r.body()).contains("\"value\":\"k\uD83D\uDD11y\"");
  }

  @Test
  void duplicateKey_atTopLevelOrInsideValueJson_isRefused() {
    RunningServer.Raw top =
        server.raw("PUT", "/v1/secrets/body/D", token, utf8("{\"value\":\"a\",\"value\":\"b\"}"));
    RunningServer.Raw nested =
        server.raw("PUT", "/v1/secrets/body/D", token, utf8("{\"value_json\":{\"k\":1,\"k\":2}}"));
    RunningServer.Raw deep =
        server.raw(
            "PUT",
            "/v1/secrets/body/D",
            token,
            utf8("{\"value_json\":{\"a\":{\"secretkey-canary\":1,\"secretkey-canary\":2}}}"));

    assertThat(top.status()).isEqualTo(400);
    assertThat(top.body()).contains("field 'value' is given twice");
    assertThat(nested.status()).isEqualTo(400);
    assertThat(nested.body()).contains("field 'value_json'");
    assertThat(deep.status()).isEqualTo(400);
    assertThat(deep.body()).doesNotContain("canary");
    assertThat(server.raw("GET", "/v1/secrets/body/D", token, null).status()).isEqualTo(404);
  }

  @Test
  void trailingContent_isRefused() {
    RunningServer.Raw r =
        server.raw("PUT", "/v1/secrets/body/T", token, utf8("{\"value\":\"a\"} {\"value\":\"b\"}"));

    assertThat(r.status()).isEqualTo(400);
  }

  @Test
  void jsonNumbers_keepEveryDigit_afterARestart(@TempDir Path own) {
    String body =
        "{\"value_json\":{\"huge\":1e400,\"tiny\":1.5e-400,"
            + "\"pi\":3.14159265358979323846264338327950288419716939937510,"
            + "\"zeros\":1.50,\"int\":123456789012345678901234567890,\"neg\":-0.000000000000000000001}}";
    try (RunningServer first = RunningServer.start(own.resolve("data"))) {
      assertThat(first.raw("PUT", "/v1/secrets/n/J", first.rootToken(), utf8(body)).status())
          .isEqualTo(200);
    }

    try (RunningServer second = RunningServer.start(own.resolve("data"))) {
      String read = second.raw("GET", "/v1/secrets/n/J", second.rootToken(), null).body();

      assertThat(read)
          .contains("\"huge\":1E+400")
          .contains("\"tiny\":1.5E-400")
          .contains("\"pi\":3.14159265358979323846264338327950288419716939937510")
          .contains("\"zeros\":1.50")
          .contains("\"int\":123456789012345678901234567890")
          .contains("\"neg\":-1E-21")
          .doesNotContain("Infinity")
          .doesNotContain("0.0");
    }
  }

  @Test
  void wrongTypeOrForm_namesTheFieldInSnakeCase_neverAJavaClassOrTheValue() {
    RunningServer.Raw put =
        server.raw("PUT", "/v1/secrets/body/W", token, utf8("{\"value\":{\"canary-x\":1}}"));
    RunningServer.Raw json =
        server.raw("PUT", "/v1/secrets/body/W", token, utf8("{\"value_json\":\"canary-x\"}"));
    RunningServer.Raw stage =
        server.raw(
            "POST",
            "/v1/stages/body/R",
            token,
            utf8("{\"version\":\"canary-x\",\"stage\":\"current\"}"));
    RunningServer.Raw hooks =
        server.raw("PUT", "/v1/rules/body/R", token, utf8("{\"hooks\":[{\"phase\":[1]}]}"));
    RunningServer.Raw grants =
        server.raw("POST", "/v1/tokens", token, utf8("{\"name\":\"t\",\"grants\":{\"a\":1}}"));

    assertThat(put.body()).contains("field 'value' has the wrong type");
    assertThat(stage.body()).contains("field 'version' has the wrong type");
    assertThat(hooks.body()).contains("field 'hooks[0]");
    assertThat(grants.body()).contains("field 'grants'");
    for (RunningServer.Raw r : new RunningServer.Raw[] {put, json, stage, hooks, grants}) {
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body())
          .doesNotContain("dev.keyturn")
          .doesNotContain("Request")
          .doesNotContain("java.")
          .doesNotContain("canary");
    }
  }

  @Test
  void syntaxError_saysWhereNotWhat() {
    RunningServer.Raw r =
        server.raw("PUT", "/v1/secrets/body/X", token, utf8("{\"value\": canary-unquoted}"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).contains("not valid JSON (line 1, column").doesNotContain("canary");
  }

  @Test
  void twoAuthorizationHeaders_areRefusedEvenWhenBothAreValid() {
    String reader = server.token("read:body/*");

    RunningServer.Raw both =
        server.raw(
            "GET", "/v1/secrets/body/R", token, null, "Authorization: Bearer " + reader + "\r\n");
    RunningServer.Raw badFirst =
        server.raw(
            "GET",
            "/v1/whoami",
            token,
            null,
            "Authorization: Bearer kt_AAAAAAAAAAAAAAAAAAAAAA\r\n");

    assertThat(both.status()).isEqualTo(400);
    assertThat(both.body()).contains("more than one Authorization header").doesNotContain("\"v\"");
    assertThat(badFirst.status()).isEqualTo(400);
    assertThat(server.raw("GET", "/v1/secrets/body/R", token, null).status()).isEqualTo(200);
  }
}
