package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.CheckInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.api.WireJson;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rotation, audit and token pages through a real server: rotate now and watch the checklist, a
 * failed rotation says why and what to do, an emergency rotation's reason reaches the audit record
 * and its readers are one link away, tokens are created (shown once) and revoked, and each page
 * shows a token only what its grants cover.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UiPagesTest {
  private static final String CANARY = "ui-pages-canary-41aa07";

  @TempDir static Path dir;
  private RunningServer server;
  private TokenCreated appX;
  private TokenCreated reader;

  @BeforeAll
  void start() {
    server =
        RunningServer.startWithConfig(
            dir.resolve("data"),
            "commands:\n  ok:\n    argv: [\"true\"]\n  refuse:\n    argv: [\"false\"]\n");
    for (String name : List.of("app/x/OK", "app/x/BAD", "app/y/OK")) {
      server.client().put(name, new PutSecretRequest(CANARY, null, null, null, null));
    }
    rule("app/x/OK", "ok");
    rule("app/y/OK", "ok");
    rule("app/x/BAD", "refuse");
    server.client().put("app/x/SLOW", new PutSecretRequest(CANARY, null, null, null, null));
    // Its check fails and is tried again an hour later: a rotation that stays cancellable.
    RunningServer.Raw slow =
        server.raw(
            "PUT",
            "/v1/rules/app/x/SLOW",
            server.rootToken(),
            ("{\"generate\":\"hex:32\",\"every\":\"30d\",\"strategy\":\"single-user\","
                    + "\"attempts\":3,\"backoff\":\"1h\",\"target\":{\"type\":\"command\","
                    + "\"set-command\":\"ok\",\"test-command\":\"refuse\"}}")
                .getBytes());
    assertThat(slow.status()).as(slow.body()).isEqualTo(200);
    appX =
        server
            .client()
            .createToken(new TokenCreateRequest("x-admin", List.of("admin:app/x/*"), null));
    reader =
        server.client().createToken(new TokenCreateRequest("reader", List.of("read:app/*"), null));
  }

  private void rule(String name, String test) {
    String body =
        "{\"generate\":\"hex:32\",\"every\":\"30d\",\"grace\":\"1h\",\"strategy\":\"single-user\","
            + "\"attempts\":1,\"target\":{\"type\":\"command\",\"set-command\":\"ok\","
            + "\"test-command\":\""
            + test
            + "\"}}";
    RunningServer.Raw r =
        server.raw("PUT", "/v1/rules/" + name, server.rootToken(), body.getBytes());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private Browser signedIn(String token) {
    Browser b = new Browser(server.url());
    assertThat(b.signIn(token).statusCode()).isEqualTo(303);
    b.get("/ui/secrets");
    return b;
  }

  private static String rotationId(HttpResponse<String> redirect) {
    String location = redirect.headers().firstValue("Location").orElseThrow();
    assertThat(location).startsWith("/ui/rotations/");
    return location.substring("/ui/rotations/".length());
  }

  @Test
  void rotateNow_redirectsToTheRotation_whoseStepsAndChecklistMatchTheApi() {
    Browser b = signedIn(appX.token());
    b.get("/ui/secrets/app/x/OK");

    HttpResponse<String> started = b.post("/ui/rotate/app/x/OK", Map.of());

    assertThat(started.statusCode()).isEqualTo(303);
    String id = rotationId(started);
    RotationInfo api = server.client().rotation(id);
    HttpResponse<String> page = b.get("/ui/rotations/" + id);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body())
        .contains("data-testid=\"rotation-state\">" + api.state() + "<")
        .contains("data-step=\"finish\"");
    for (CheckInfo check : api.checklist()) {
      assertThat(page.body()).contains(check.name());
    }
    if (api.state().equals("finished")) {
      // A finished rotation has nothing left to try: no "Attempt 0", no "Next attempt: now".
      assertThat(page.body())
          .doesNotContain("hx-get")
          .contains("data-result=\"done\"")
          .doesNotContain("Next attempt")
          .doesNotContain("<dt>Attempt</dt><dd>0<");
    }
    HttpResponse<String> live = b.get("/ui/rotations/" + id + "/live");
    assertThat(live.body()).startsWith("<div id=\"rotation-live\"").doesNotContain("<html");
    assertThat(page.body() + live.body()).doesNotContain(CANARY);
  }

  @Test
  void failedRotation_saysWhyAndWhatToDoNext() throws InterruptedException {
    Browser b = signedIn(server.rootToken());
    b.get("/ui/secrets/app/x/BAD");

    String id = rotationId(b.post("/ui/rotate/app/x/BAD", Map.of()));
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    while (!server.client().rotation(id).state().equals("failed") && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    HttpResponse<String> page = b.get("/ui/rotations/" + id);

    assertThat(page.body()).contains("data-testid=\"rotation-state\">failed<");
    assertThat(page.body()).contains("data-testid=\"rotation-next-step\"");
    assertThat(page.body()).contains("data-testid=\"rotation-reason\"").contains("test");
    assertThat(page.body()).doesNotContain("hx-get");
  }

  @Test
  void emergencyRotation_needsTheNameTyped_andItsReasonReachesTheAudit_readersOneLinkAway() {
    server.client(reader.token()).get("app/x/OK");
    Browser b = signedIn(appX.token());
    String secretPage = b.get("/ui/secrets/app/x/OK").body();

    HttpResponse<String> unconfirmed =
        b.post(
            "/ui/rotate/app/x/OK",
            Map.of("emergency", "true", "confirm", "app/x/OTHER", "reason", "leaked"));
    HttpResponse<String> started =
        b.post(
            "/ui/rotate/app/x/OK",
            Map.of("emergency", "true", "confirm", "app/x/OK", "reason", "leaked <b>in</b> a log"));

    assertThat(unconfirmed.statusCode()).isEqualTo(400);
    assertThat(started.statusCode()).isEqualTo(303);
    RotationInfo api = server.client().rotation(rotationId(started));
    assertThat(api.emergency()).isTrue();
    RunningServer.Raw audit =
        server.raw(
            "GET", "/v1/audit?secret=app/x/OK&action=rotation.start", server.rootToken(), null);
    assertThat(audit.body()).contains(api.id() + " emergency reason=\\\"leaked <b>in</b> a log");
    assertThat(b.get("/ui/rotations/" + api.id()).body())
        .contains("leaked &lt;b&gt;in&lt;/b&gt; a log");
    java.util.regex.Matcher readers =
        java.util.regex.Pattern.compile("id=\"readers-since\" href=\"([^\"]+)\"")
            .matcher(secretPage);
    assertThat(readers.find()).isTrue();
    String href = readers.group(1).replace("&amp;", "&");
    HttpResponse<String> who = b.get(href);
    assertThat(who.statusCode()).isEqualTo(200);
    assertThat(who.body()).contains(reader.id()).contains("secret.read");
    assertThat(who.body()).doesNotContain(CANARY);
  }

  @Test
  void rotationsOfAnotherPrefix_areNeitherListedNorShown() {
    RotationInfo y =
        server.client().rotate("app/y/OK", new dev.keyturn.api.RotateRequest(null, null));
    Browser b = signedIn(appX.token());

    HttpResponse<String> list = b.get("/ui/rotations");
    HttpResponse<String> one = b.get("/ui/rotations/" + y.id());

    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).doesNotContain(y.id()).doesNotContain("app/y");
    assertThat(one.statusCode()).isEqualTo(403);
    assertThat(one.body()).doesNotContain("app/y");
  }

  @Test
  void auditPage_scopedAdminSeesOnlyItsSecrets_rootSeesTheChain() {
    Browser x = signedIn(appX.token());
    Browser root = signedIn(server.rootToken());

    String scoped = x.get("/ui/audit").body();
    HttpResponse<String> all = root.get("/ui/audit?verify=1");

    assertThat(scoped)
        .contains("app/x/")
        .doesNotContain("app/y/")
        .doesNotContain("data-testid=\"audit-chain\"");
    assertThat(all.body()).contains("data-testid=\"audit-chain\"").contains("intact");
    assertThat(all.body()).contains("app/y/");
  }

  @Test
  void runningRotation_hasACancelButtonForItsRotator_andCancelRollsItBack() {
    RotationInfo started =
        server.client().rotate("app/x/SLOW", new dev.keyturn.api.RotateRequest(null, null));
    assertThat(started.state()).isIn("create", "set", "test");
    Browser x = signedIn(appX.token());
    Browser y = signedIn(server.token("rotate:app/y/*", "list:app/y/*"));

    String page = x.get("/ui/rotations/" + started.id()).body();
    HttpResponse<String> forged = y.post("/ui/rotations/" + started.id() + "/cancel", Map.of());
    String stillRunning = server.client().rotation(started.id()).state();
    HttpResponse<String> cancelled = x.post("/ui/rotations/" + started.id() + "/cancel", Map.of());

    assertThat(page).contains("data-testid=\"cancel-form\"");
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(stillRunning).isIn("create", "set", "test");
    assertThat(cancelled.statusCode()).isEqualTo(303);
    assertThat(server.client().rotation(started.id()).state()).isIn("rollback", "failed");
    assertThat(x.get("/ui/rotations/" + started.id()).body())
        .doesNotContain("data-testid=\"cancel-form\"");
  }

  @Test
  void finishedRotation_hasNoCancelButton() {
    Browser x = signedIn(appX.token());
    String id = rotationId(x.post("/ui/rotate/app/x/OK", Map.of()));
    RotationInfo api = server.client().rotation(id);

    String page = x.get("/ui/rotations/" + id).body();

    if (!List.of("create", "set", "test").contains(api.state())) {
      assertThat(page).doesNotContain("data-testid=\"cancel-form\"");
    }
  }

  @Test
  void tokensPage_offersNoRevokeOfTheSessionOwnToken_andRefusesTheForm() {
    String rootId = server.client().whoami().tokenId();
    Browser root = signedIn(server.rootToken());

    String page = root.get("/ui/tokens").body();
    HttpResponse<String> forged = root.post("/ui/tokens/" + rootId + "/revoke", Map.of());

    assertThat(page)
        .contains("data-testid=\"own-token\"")
        .doesNotContain("data-testid=\"revoke-form\" data-id=\"" + rootId + "\"");
    assertThat(forged.statusCode()).isEqualTo(409);
    assertThat(server.raw("GET", "/v1/whoami", server.rootToken(), null).status()).isEqualTo(200);
    assertThat(root.get("/ui/tokens").statusCode()).isEqualTo(200);
  }

  @Test
  void tokensPage_offersNoRevokeOfAnAncestorOfTheSessionToken_andRefusesTheForm() {
    // Revoking a token revokes every token it made: the parent of the session's token (or root)
    // would take the session's own token with it, as revoking that one would.
    TokenCreated parent =
        server.client().createToken(new TokenCreateRequest("parent", List.of("admin:*"), null));
    TokenCreated child =
        server
            .client(parent.token())
            .createToken(new TokenCreateRequest("child", List.of("admin:*"), null));
    String rootId = server.client().whoami().tokenId();
    Browser b = signedIn(child.token());

    String page = b.get("/ui/tokens").body();
    HttpResponse<String> forged = b.post("/ui/tokens/" + parent.id() + "/revoke", Map.of());
    HttpResponse<String> forgedRoot = b.post("/ui/tokens/" + rootId + "/revoke", Map.of());

    assertThat(page)
        .doesNotContain("data-testid=\"revoke-form\" data-id=\"" + parent.id() + "\"")
        .doesNotContain("data-testid=\"revoke-form\" data-id=\"" + rootId + "\"");
    assertThat(forged.statusCode()).isEqualTo(409);
    assertThat(forgedRoot.statusCode()).isEqualTo(409);
    assertThat(server.raw("GET", "/v1/whoami", parent.token(), null).status()).isEqualTo(200);
    assertThat(server.raw("GET", "/v1/whoami", child.token(), null).status()).isEqualTo(200);
    assertThat(b.get("/ui/tokens").statusCode()).isEqualTo(200);
    server.client().revokeToken(parent.id());
  }

  @Test
  void tokensPage_adminStarOnly_createShownOnce_revoke() {
    Browser x = signedIn(appX.token());
    assertThat(x.get("/ui/secrets").body()).doesNotContain("id=\"nav-tokens\"");
    assertThat(x.get("/ui/tokens").statusCode()).isEqualTo(403);
    assertThat(x.post("/ui/tokens", Map.of("name", "n", "grants", "read:app/x/*")).statusCode())
        .isEqualTo(403);
    Browser root = signedIn(server.rootToken());

    HttpResponse<String> refused =
        root.post("/ui/tokens", Map.of("name", "ci <deploy>", "grants", "read:app/x/*"));
    HttpResponse<String> created =
        root.post("/ui/tokens", Map.of("name", "ci-deploy", "grants", "read:app/x/*", "ttl", "1d"));

    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body()).contains("data-testid=\"error\"").doesNotContain("<deploy>");
    assertThat(created.statusCode()).isEqualTo(200);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "data-testid=\"token-created\" data-id=\"([^\"]+)\"[\\s\\S]*?data-testid=\"token-created-value\">([^<]+)<")
            .matcher(created.body());
    assertThat(m.find()).isTrue();
    String id = m.group(1);
    String token = m.group(2);
    assertThat(server.client(token).whoami().tokenId()).isEqualTo(id);
    HttpResponse<String> again = root.get("/ui/tokens");
    assertThat(again.body()).doesNotContain(token).contains("ci-deploy");
    assertThat(x.post("/ui/tokens/" + id + "/revoke", Map.of()).statusCode()).isEqualTo(403);

    HttpResponse<String> revoked = root.post("/ui/tokens/" + id + "/revoke", Map.of());

    assertThat(revoked.statusCode()).isEqualTo(303);
    assertThat(server.raw("GET", "/v1/whoami", token, null).status()).isEqualTo(401);
    assertThat(
            WireJson.mapper()
                .readTree(server.raw("GET", "/v1/tokens", server.rootToken(), null).body())
                .toString())
        .contains(id);
  }
}
