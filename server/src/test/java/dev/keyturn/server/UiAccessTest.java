package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.keyturn.api.AuditListResponse;
import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.api.WireJson;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The dashboard is a client with the signed-in token's grants, no more: a read-only token sees no
 * action and is refused (403) when it posts each form anyway; a token with grants on app/x cannot
 * see or act on app/y through any page or action; values appear only after a reveal POST, which is
 * audited as a read; hostile text is escaped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UiAccessTest {
  private static final String CANARY_X = "ui-canary-x-7d41c0";
  private static final String CANARY_Y = "ui-canary-y-93be11";
  private static final String HOSTILE_OWNER = "<script>alert(1)</script>\"'&";

  @TempDir static Path dir;
  private RunningServer server;
  private TokenCreated readOnly;
  private TokenCreated appX;
  private TokenCreated lister;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    server.client().put("app/x/KEY", new PutSecretRequest(CANARY_X, null, null, null, null));
    server
        .client()
        .put("app/x/KEY", new PutSecretRequest(CANARY_X + "-2", null, null, "24h", null));
    server.client().put("app/y/KEY", new PutSecretRequest(CANARY_Y, null, null, null, null));
    server
        .client()
        .put("app/y/KEY", new PutSecretRequest(CANARY_Y + "-2", null, null, "24h", null));
    String rule =
        "{\"generate\":\"hex:32\",\"every\":\"90d\",\"window\":\"Sun 02:00-04:00\","
            + "\"timezone\":\"Europe/Berlin\",\"grace\":\"24h\",\"owner\":"
            + WireJson.mapper().writeValueAsString(HOSTILE_OWNER)
            + "}";
    for (String name : List.of("app/x/KEY", "app/y/KEY")) {
      RunningServer.Raw r =
          server.raw("PUT", "/v1/rules/" + name, server.rootToken(), rule.getBytes());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
    }
    readOnly =
        server
            .client()
            .createToken(new TokenCreateRequest("ro", List.of("read:*", "list:*"), null));
    appX =
        server
            .client()
            .createToken(new TokenCreateRequest("x-admin", List.of("admin:app/x/*"), null));
    lister = server.client().createToken(new TokenCreateRequest("lister", List.of("list:*"), null));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void reveal_inTheAccessLogUnderTheRequestIdOfItsAuditRecord() {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger access = (Logger) LoggerFactory.getLogger("dev.keyturn.server.access");
    logs.start();
    access.addAppender(logs);
    try {
      Browser b = signedIn(readOnly.token());
      b.get("/ui/secrets/app/x/KEY");
      assertThat(b.post("/ui/reveal/app/x/KEY", Map.of()).statusCode()).isEqualTo(200);
    } finally {
      access.detachAppender(logs);
    }

    List<ILoggingEvent> reads =
        logs.list.stream()
            .filter(e -> e.getFormattedMessage().startsWith("action=secret.read status=200"))
            .toList();
    assertThat(reads).hasSize(1);
    String id = reads.get(0).getMDCPropertyMap().get(RequestIds.MDC_KEY);
    assertThat(id).isNotBlank();
    RunningServer.Raw audit =
        server.raw(
            "GET",
            "/v1/audit?secret=app/x/KEY&action=secret.read&since=1h",
            server.rootToken(),
            null);
    assertThat(audit.body()).contains("request=" + id);
    assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains(CANARY_X));
  }

  /** The audit records of the token {@code id}, oldest first, as root reads them. */
  private List<AuditRecordInfo> records(String id) {
    RunningServer.Raw r =
        server.raw("GET", "/v1/audit?since=1h&limit=10000&token=" + id, server.rootToken(), null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return WireJson.mapper().readValue(r.body(), AuditListResponse.class).records();
  }

  @Test
  void pageView_writesOneRecordForItsReads_andARevealItsOwnRead() {
    TokenCreated viewer =
        server.client().createToken(new TokenCreateRequest("viewer", List.of("admin:*"), null));
    Browser b = signedIn(viewer.token());
    int before = records(viewer.id()).size();

    assertThat(b.get("/ui/secrets/app/x/KEY").statusCode()).isEqualTo(200);
    List<AuditRecordInfo> page = records(viewer.id());
    assertThat(b.get("/ui/audit").statusCode()).isEqualTo(200);
    assertThat(b.post("/ui/reveal/app/x/KEY", Map.of()).statusCode()).isEqualTo(200);
    List<AuditRecordInfo> after = records(viewer.id());

    assertThat(page.subList(before, page.size())).hasSize(1);
    AuditRecordInfo one = page.get(page.size() - 1);
    assertThat(one.action()).isEqualTo("secret.describe");
    assertThat(one.secret()).isEqualTo("app/x/KEY");
    assertThat(one.detail())
        .startsWith("page=/ui/secrets/app/x/KEY reads=secret.describe,")
        .contains("audit.read")
        .contains("request=");
    List<AuditRecordInfo> later = after.subList(page.size(), after.size());
    assertThat(later)
        .extracting(AuditRecordInfo::action)
        .containsExactly("audit.read", "secret.read");
    assertThat(later.get(1).version()).isNotNull();
  }

  @Test
  void pageView_recordKeepsEveryReadsDetail_soAVerifiedChainIsOnRecord() {
    // The page's verify read says whether the chain is intact ("broken at N" when not): folding it
    // into the page's record must not drop what it found.
    TokenCreated viewer =
        server.client().createToken(new TokenCreateRequest("verifier", List.of("admin:*"), null));
    Browser b = signedIn(viewer.token());
    int before = records(viewer.id()).size();

    assertThat(b.get("/ui/audit?verify=1").statusCode()).isEqualTo(200);
    List<AuditRecordInfo> page = records(viewer.id());

    assertThat(page.subList(before, page.size())).hasSize(1);
    assertThat(page.get(page.size() - 1).detail())
        .startsWith("page=/ui/audit reads=audit.read,audit.head,audit.verify")
        .contains("intact");
  }

  private Browser signedIn(String token) {
    Browser b = new Browser(server.url());
    assertThat(b.signIn(token).statusCode()).isEqualTo(303);
    return b;
  }

  private static final List<String> ACTION_IDS =
      List.of(
          "id=\"rotate-form\"",
          "id=\"emergency-form\"",
          "data-testid=\"rollback-form\"",
          "data-testid=\"retire-form\"");

  @Test
  void readOnlyToken_seesNoActionButtons_andEachPostIs403() {
    Browser b = signedIn(readOnly.token());

    HttpResponse<String> page = b.get("/ui/secrets/app/x/KEY");

    assertThat(page.statusCode()).isEqualTo(200);
    for (String action : ACTION_IDS) {
      assertThat(page.body()).doesNotContain(action);
    }
    assertThat(b.post("/ui/rotate/app/x/KEY", Map.of()).statusCode()).isEqualTo(403);
    assertThat(
            b.post(
                    "/ui/rotate/app/x/KEY",
                    Map.of("emergency", "true", "confirm", "app/x/KEY", "reason", "test"))
                .statusCode())
        .isEqualTo(403);
    assertThat(
            b.post("/ui/stage/app/x/KEY", Map.of("version", "1", "stage", "current")).statusCode())
        .isEqualTo(403);
    assertThat(
            b.post("/ui/stage/app/x/KEY", Map.of("version", "1", "stage", "retired")).statusCode())
        .isEqualTo(403);
    assertThat(server.client().describe("app/x/KEY").currentVersion()).isEqualTo(2);
  }

  @Test
  void listOnlyToken_seesNoRevealButton_andRevealIs403() {
    Browser b = signedIn(lister.token());

    HttpResponse<String> page = b.get("/ui/secrets/app/x/KEY");
    HttpResponse<String> reveal = b.post("/ui/reveal/app/x/KEY", Map.of());

    assertThat(page.body()).doesNotContain("id=\"reveal-form\"");
    assertThat(reveal.statusCode()).isEqualTo(403);
    assertThat(reveal.body()).doesNotContain(CANARY_X);
  }

  @Test
  void adminOfAppX_seesActionsOnX_butNothingOfY() {
    Browser b = signedIn(appX.token());

    HttpResponse<String> x = b.get("/ui/secrets/app/x/KEY");
    HttpResponse<String> inventory = b.get("/ui/secrets?prefix=app/x/");
    HttpResponse<String> y = b.get("/ui/secrets/app/y/KEY");

    assertThat(x.statusCode()).isEqualTo(200);
    for (String action : ACTION_IDS) {
      assertThat(x.body()).contains(action);
    }
    assertThat(inventory.body()).contains("data-name=\"app/x/KEY\"").doesNotContain("app/y");
    assertThat(b.get("/ui/secrets?prefix=app/").body()).doesNotContain("app/y");
    assertThat(b.get("/ui/secrets?prefix=app/y/").body()).doesNotContain("data-name=\"app/y/KEY\"");
    assertThat(y.statusCode()).isEqualTo(403);
    assertThat(y.body()).doesNotContain(CANARY_Y);
    for (String path : List.of("/ui/reveal/app/y/KEY", "/ui/rotate/app/y/KEY")) {
      HttpResponse<String> r = b.post(path, Map.of());
      assertThat(r.statusCode()).as(path).isEqualTo(403);
      assertThat(r.body()).doesNotContain(CANARY_Y);
    }
    assertThat(
            b.post("/ui/stage/app/y/KEY", Map.of("version", "1", "stage", "retired")).statusCode())
        .isEqualTo(403);
    assertThat(server.client().describe("app/y/KEY").previousVersion()).isEqualTo(1);
  }

  @Test
  void pages_neverHoldAValue_untilRevealed_andTheRevealIsAudited() {
    Browser b = signedIn(server.rootToken());
    List<String> pages = new ArrayList<>();
    for (String path :
        List.of("/ui/secrets", "/ui/secrets?prefix=app/", "/ui/secrets/app/x/KEY", "/ui/sign-in")) {
      HttpResponse<String> r = b.get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(200);
      pages.add(r.body());
    }
    assertThat(String.join("\n", pages)).doesNotContain(CANARY_X).doesNotContain(CANARY_Y);

    HttpResponse<String> revealed = b.post("/ui/reveal/app/x/KEY", Map.of());

    assertThat(revealed.statusCode()).isEqualTo(200);
    assertThat(revealed.body()).contains(CANARY_X + "-2").doesNotContain(CANARY_Y);
    assertThat(revealed.body()).contains("data-testid=\"reveal-value\"");
    assertThat(revealed.headers().firstValue("Cache-Control")).hasValue("no-store");
    RunningServer.Raw audit =
        server.raw(
            "GET", "/v1/audit?secret=app/x/KEY&action=secret.read", server.rootToken(), null);
    JsonNode records = WireJson.mapper().readTree(audit.body()).get("records");
    assertThat(records).isNotEmpty();
    JsonNode last = records.get(records.size() - 1);
    assertThat(last.get("token_id").stringValue()).isEqualTo("root");
    assertThat(last.get("version").intValue()).isEqualTo(2);
    assertThat(last.get("result").stringValue()).isEqualTo("ok");
    assertThat(audit.body()).doesNotContain(CANARY_X);
  }

  @Test
  void hostileText_isEscaped() {
    Browser b = signedIn(server.rootToken());

    String inventory = b.get("/ui/secrets?prefix=app/x/").body();
    String secret = b.get("/ui/secrets/app/x/KEY").body();

    for (String body : List.of(inventory, secret)) {
      assertThat(body).doesNotContain("<script>alert(1)</script>");
      assertThat(body).contains("&lt;script&gt;alert(1)&lt;/script&gt;");
    }
  }

  @Test
  void ruleInWords_readsLikeTheRunbook() {
    Browser b = signedIn(server.rootToken());

    String secret = b.get("/ui/secrets/app/x/KEY").body();

    assertThat(secret)
        .contains("every 90 days, Sundays 02:00\u201304:00 Europe/Berlin, keep the old value 24 h");
  }
}
