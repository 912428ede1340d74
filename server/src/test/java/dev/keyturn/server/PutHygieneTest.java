package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.api.WriteResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Values checked on the way in (issue 16 item 0): a placeholder is refused with its check id unless
 * allowed (and the allowance audited), a weak value is stored with warnings, generated values are
 * never checked, and only password-like fields of a JSON value count.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PutHygieneTest {
  /** A placeholder whose last word is the canary: it must never show up anywhere. */
  private static final String CANARY_WORD = "QZXWCANARY";

  private static final String PLACEHOLDER = "CHANGE_THIS_TO_" + CANARY_WORD;

  @TempDir static Path dir;
  private RunningServer server;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger rootLogger =
      (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @BeforeAll
  void start() {
    logs.start();
    rootLogger.addAppender(logs);
    server = RunningServer.start(dir.resolve("data"));
  }

  @AfterAll
  void stop() {
    server.close();
    rootLogger.detachAppender(logs);
    StringBuilder log = new StringBuilder();
    for (ILoggingEvent e : logs.list) {
      log.append(e.getFormattedMessage()).append('\n');
    }
    assertThat(log.toString()).doesNotContain(CANARY_WORD);
  }

  @Test
  void put_placeholder_isRefusedWithItsCheckId_andNothingIsStored() {
    RunningServer.Raw refused = put("hyg/a/SECRET_KEY", "{\"value\":\"" + PLACEHOLDER + "\"}");
    RunningServer.Raw angle =
        put("hyg/a/PAYSTACK_SECRET_KEY", "{\"value\":\"<your-paystack-key>\"}");
    RunningServer.Raw insecure =
        put("hyg/a/DJANGO", "{\"value\":\"django-insecure-4k#9x!2f@q8m)w1e+r5t6y7u8i9o0p\"}");

    assertThat(refused.status()).as(refused.body()).isEqualTo(400);
    assertThat(refused.body())
        .contains("\"code\":\"placeholder_value\"")
        .contains("\"check\":\"value.placeholder\"")
        .doesNotContain(CANARY_WORD);
    assertThat(angle.body()).contains("\"check\":\"value.angle-brackets\"");
    assertThat(insecure.body()).contains("\"check\":\"value.django-insecure\"");
    assertThat(
            server.raw("GET", "/v1/metadata/hyg/a/SECRET_KEY", server.rootToken(), null).status())
        .isEqualTo(404);
    assertThat(audit("hyg/a/SECRET_KEY"))
        .anySatisfy(r -> assertThat(r.result()).isNotEqualTo("ok"))
        .noneSatisfy(r -> assertThat(r.action()).isEqualTo("version.create"));
    assertThat(auditText()).doesNotContain(CANARY_WORD);
  }

  @Test
  void put_allowPlaceholder_storesIt_andAuditsTheAllowance() {
    RunningServer.Raw allowed =
        put("hyg/b/SECRET_KEY", "{\"value\":\"" + PLACEHOLDER + "\",\"allow_placeholder\":true}");

    assertThat(allowed.status()).as(allowed.body()).isEqualTo(200);
    assertThat(server.client().get("hyg/b/SECRET_KEY").value().stringValue())
        .isEqualTo(PLACEHOLDER);
    assertThat(audit("hyg/b/SECRET_KEY"))
        .anySatisfy(r ->
            assertThat(r.detail())
                .contains("placeholder allowed [value.placeholder]")
                .doesNotContain(CANARY_WORD));
    assertThat(auditText()).doesNotContain(CANARY_WORD);
  }

  @Test
  void put_weakValue_isStoredWithWarnings_neverTheValue() {
    WriteResponse weak =
        server
            .client()
            .put("hyg/c/API_TOKEN", new PutSecretRequest("tok1tok1", null, null, null, null));
    WriteResponse shortKey =
        server
            .client()
            .put(
                "hyg/c/SECRET_KEY",
                new PutSecretRequest(
                    "0123456789abcdef0123456789abcdef0123456789abcdef", null, null, null, null));
    WriteResponse strong =
        server
            .client()
            .put(
                "hyg/c/JWT_SECRET",
                new PutSecretRequest("kQ3v9Zt2Lw8Xr5Pn1Hs7Bd4Mf6Yc0Ja2", null, null, null, null));

    assertThat(weak.warnings()).containsExactly("value.weak-bits", "value.few-characters");
    assertThat(shortKey.warnings()).containsExactly("value.short-secret-key");
    assertThat(strong.warnings()).isEmpty();
    assertThat(server.client().get("hyg/c/API_TOKEN").value().stringValue()).isEqualTo("tok1tok1");
    assertThat(audit("hyg/c/API_TOKEN"))
        .anySatisfy(r -> assertThat(r.detail()).contains("warnings [value.weak-bits"));
  }

  @Test
  void put_generated_isNeverChecked() {
    WriteResponse tiny =
        server.client().put("hyg/d/TINY", new PutSecretRequest(null, null, "hex:1", null, null));

    assertThat(tiny.warnings()).isEmpty();
    assertThat(server.client().get("hyg/d/TINY").value().stringValue()).matches("[0-9a-f]{2}");
  }

  @Test
  void put_json_checksPasswordLikeFieldsOnly() {
    RunningServer.Raw usernamePlaceholder =
        put(
            "hyg/e/DB",
            "{\"value_json\":{\"username\":\"changeme\",\"host\":\"db.example.com\","
                + "\"password\":\"kQ3v9Zt2Lw8Xr5Pn1Hs7\"}}");
    RunningServer.Raw passwordPlaceholder =
        put(
            "hyg/e/DB2",
            "{\"value_json\":{\"username\":\"app\",\"password\":\"<your-db-password>\"}}");
    RunningServer.Raw nested =
        put("hyg/e/DB3", "{\"value_json\":{\"smtp\":{\"api_key\":\"" + PLACEHOLDER + "\"}}}");

    assertThat(usernamePlaceholder.status()).as(usernamePlaceholder.body()).isEqualTo(200);
    assertThat(usernamePlaceholder.body()).contains("\"warnings\":[]");
    assertThat(passwordPlaceholder.status()).isEqualTo(400);
    assertThat(passwordPlaceholder.body())
        .contains("\"check\":\"value.angle-brackets\"")
        .contains("field password");
    assertThat(nested.status()).isEqualTo(400);
    assertThat(nested.body()).contains("field api_key").doesNotContain(CANARY_WORD);
  }

  @Test
  void put_placeholder_wrongCapabilityOrOtherName_isForbiddenBeforeAnyCheck() {
    String reader = server.token("read:hyg/*");
    String otherWriter = server.token("write:other/*");

    RunningServer.Raw byReader =
        server.raw(
            "PUT",
            "/v1/secrets/hyg/f/SECRET_KEY",
            reader,
            bytes("{\"value\":\"" + PLACEHOLDER + "\",\"allow_placeholder\":true}"));
    RunningServer.Raw byOtherWriter =
        server.raw(
            "PUT",
            "/v1/secrets/hyg/f/SECRET_KEY",
            otherWriter,
            bytes("{\"value\":\"" + PLACEHOLDER + "\",\"allow_placeholder\":true}"));

    assertThat(byReader.status()).isEqualTo(403);
    assertThat(byOtherWriter.status()).isEqualTo(403);
    assertThat(byReader.body() + byOtherWriter.body())
        .doesNotContain("check")
        .doesNotContain(CANARY_WORD);
    assertThat(
            server.raw("GET", "/v1/metadata/hyg/f/SECRET_KEY", server.rootToken(), null).status())
        .isEqualTo(404);
  }

  @Test
  void put_allowPlaceholderNotBoolean_isBadRequest() {
    RunningServer.Raw bad =
        put("hyg/g/K", "{\"value\":\"" + PLACEHOLDER + "\",\"allow_placeholder\":\"yes;\\r\\n\"}");

    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.body()).doesNotContain(CANARY_WORD);
  }

  private RunningServer.Raw put(String name, String json) {
    return server.raw("PUT", "/v1/secrets/" + name, server.rootToken(), bytes(json));
  }

  private static byte[] bytes(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  private List<AuditRecordInfo> audit(String secret) {
    return server
        .client()
        .audit(Optional.empty(), Optional.of(secret), Optional.empty(), Optional.of(100))
        .records();
  }

  private String auditText() {
    return WireJson.mapper()
        .writeValueAsString(
            server
                .client()
                .audit(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(1000)));
  }
}
