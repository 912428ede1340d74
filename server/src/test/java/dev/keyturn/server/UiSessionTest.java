package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.testing.FixedClock;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's sign-in: a pasted token exchanged for a session cookie, sign-out, the idle and
 * absolute timeouts (on an injected clock), revocation of the token ending its sessions, CSRF, the
 * security headers, and {@code --ui off}.
 */
class UiSessionTest {
  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(Instant.parse("2026-11-29T10:00:00Z"));
  private RunningServer server;

  @BeforeEach
  void start() {
    server =
        RunningServer.start(
            RunningServer.config(dir.resolve("data"), java.util.Optional.empty()), clock);
    server
        .client()
        .put("app/x/KEY", new PutSecretRequest("ui-canary-5f2e", null, null, null, null));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void signIn_validToken_setsStrictHttpOnlyCookieAndShowsInventory() {
    Browser b = new Browser(server.url());

    HttpResponse<String> r = b.signIn(server.rootToken());

    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue("/ui/secrets");
    String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(cookie)
        .startsWith(UiHandler.COOKIE + "=")
        .containsIgnoringCase("HttpOnly")
        .containsIgnoringCase("SameSite=Strict")
        .containsIgnoringCase("Path=/ui")
        .doesNotContainIgnoringCase("Secure");
    assertThat(cookie).doesNotContain(server.rootToken());
    HttpResponse<String> page = b.get("/ui/secrets?prefix=app/x/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("data-name=\"app/x/KEY\"").doesNotContain("ui-canary-5f2e");
  }

  @Test
  void signIn_badToken_401PageAndNoCookie() {
    Browser b = new Browser(server.url());

    HttpResponse<String> r = b.signIn("kt_not-a-real-token");

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("Set-Cookie")).isEmpty();
    assertThat(r.body()).contains("id=\"sign-in\"");
  }

  @Test
  void signIn_repeatedBadTokens_throttledLikeTheApi() {
    Browser b = new Browser(server.url());

    for (int i = 0; i < 10; i++) {
      b.signIn("kt_wrong-" + i);
    }
    HttpResponse<String> r = b.signIn(server.rootToken());

    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
    assertThat(server.raw("GET", "/v1/whoami", server.rootToken(), null).status()).isEqualTo(429);
  }

  @Test
  void noSession_pageRedirectsToSignIn_postRefused() {
    Browser b = new Browser(server.url());

    assertThat(b.get("/ui/secrets").statusCode()).isEqualTo(303);
    assertThat(b.get("/ui/secrets").headers().firstValue("Location")).hasValue("/ui/sign-in");
    assertThat(b.post("/ui/sign-out", Map.of()).statusCode()).isEqualTo(403);
  }

  @Test
  void signOut_endsTheSession() {
    Browser b = new Browser(server.url());
    b.signIn(server.rootToken());
    String id = b.session();
    b.get("/ui/secrets");

    HttpResponse<String> out = b.post("/ui/sign-out", Map.of());

    assertThat(out.statusCode()).isEqualTo(303);
    assertThat(out.headers().firstValue("Set-Cookie").orElseThrow())
        .contains("Expires=Thu, 01 Jan 1970");
    Browser replay = new Browser(server.url());
    replay.cookies.getCookieStore().add(java.net.URI.create(server.url()), cookie(id));
    assertThat(replay.get("/ui/secrets").statusCode()).isEqualTo(303);
  }

  @Test
  void post_withoutOrWithWrongCsrf_refused403() {
    Browser b = new Browser(server.url());
    b.signIn(server.rootToken());
    b.get("/ui/secrets");

    HttpResponse<String> none = b.postRaw("/ui/sign-out", Map.of());
    HttpResponse<String> wrong = b.postRaw("/ui/sign-out", Map.of("csrf", "x" + b.csrf));

    assertThat(none.statusCode()).isEqualTo(403);
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(b.get("/ui/secrets").statusCode()).isEqualTo(200);
  }

  @Test
  void session_idleFor30Minutes_ends() {
    Browser b = new Browser(server.url());
    b.signIn(server.rootToken());
    clock.advance(Duration.ofMinutes(29));
    assertThat(b.get("/ui/secrets").statusCode()).isEqualTo(200);

    clock.advance(Duration.ofMinutes(30));

    assertThat(b.get("/ui/secrets").statusCode()).isEqualTo(303);
  }

  @Test
  void signInFlood_byOneToken_endsOnlyItsOwnOldestSessions() {
    TokenCreated lister =
        server.client().createToken(new TokenCreateRequest("lister", List.of("list:*"), null));
    Browser admin = new Browser(server.url());
    admin.signIn(server.rootToken());
    Browser first = new Browser(server.url());
    first.signIn(lister.token());

    for (int i = 0; i < UiSessions.MAX_PER_TOKEN + 5; i++) {
      assertThat(new Browser(server.url()).signIn(lister.token()).statusCode()).isEqualTo(303);
    }

    assertThat(admin.get("/ui/secrets").statusCode()).isEqualTo(200);
    assertThat(first.get("/ui/secrets").statusCode()).isEqualTo(303);
  }

  @Test
  void sessions_aFullTableOfOneTokensSignIns_keepsOtherTokensSessions() {
    UiSessions sessions = new UiSessions(clock, new java.security.SecureRandom());
    String admin = sessions.open(new byte[32], "tok_admin");

    for (int i = 0; i < 10_050; i++) {
      clock.advance(Duration.ofMillis(1));
      sessions.open(new byte[32], "tok_flood");
    }

    assertThat(sessions.find(admin)).isPresent();
    assertThat(sessions.size()).isEqualTo(UiSessions.MAX_PER_TOKEN + 1);
  }

  @Test
  void session_activeForTwelveHours_ends() {
    Browser b = new Browser(server.url());
    b.signIn(server.rootToken());
    for (int i = 0; i < 47; i++) {
      clock.advance(Duration.ofMinutes(15));
      assertThat(b.get("/ui/secrets").statusCode()).as("after %d min", (i + 1) * 15).isEqualTo(200);
    }

    clock.advance(Duration.ofMinutes(15));

    assertThat(b.get("/ui/secrets").statusCode()).isEqualTo(303);
  }

  @Test
  void tokenRevoked_endsItsSessions() {
    TokenCreated reader =
        server.client().createToken(new TokenCreateRequest("reader", List.of("read:app/*"), null));
    Browser b = new Browser(server.url());
    b.signIn(reader.token());
    assertThat(b.get("/ui/secrets").statusCode()).isEqualTo(200);

    server.client().revokeToken(reader.id());

    assertThat(b.get("/ui/secrets").statusCode()).isEqualTo(303);
    assertThat(b.get("/ui/secrets").headers().firstValue("Location")).hasValue("/ui/sign-in");
  }

  @Test
  void everyPage_carriesCspFrameDenyAndNoStore() {
    Browser b = new Browser(server.url());
    b.signIn(server.rootToken());

    for (String path : List.of("/ui/sign-in", "/ui/secrets", "/ui/secrets?prefix=app/")) {
      HttpResponse<String> r = b.get(path);
      assertThat(r.statusCode()).as(path).isEqualTo(200);
      String csp = r.headers().firstValue("Content-Security-Policy").orElseThrow();
      assertThat(csp).contains("default-src 'self'").contains("script-src 'self'");
      assertThat(csp).doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
      assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
      assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
      assertThat(r.body()).doesNotContain("<script>").doesNotContain(" style=\"");
      assertThat(r.body()).doesNotContain("http://").doesNotContain("https://");
    }
  }

  @Test
  void staticFiles_servedFromTheJar() {
    Browser b = new Browser(server.url());

    HttpResponse<String> htmx = b.get("/ui/static/htmx.min.js");
    HttpResponse<String> css = b.get("/ui/static/ui.css");

    assertThat(htmx.statusCode()).isEqualTo(200);
    assertThat(htmx.body()).contains("htmx");
    assertThat(css.statusCode()).isEqualTo(200);
    assertThat(css.body()).contains("prefers-color-scheme:dark");
  }

  @Test
  void uiOff_answers404() {
    server.close();
    server =
        RunningServer.start(
            RunningServer.config(dir.resolve("data"), java.util.Optional.empty()).toBuilder()
                .ui(false)
                .build(),
            clock);

    assertThat(server.raw("GET", "/ui/sign-in", null, null).status()).isEqualTo(404);
    assertThat(server.raw("GET", "/ui/static/ui.css", null, null).status()).isEqualTo(404);
    assertThat(server.raw("GET", "/v1/whoami", server.rootToken(), null).status()).isEqualTo(200);
  }

  @Test
  void nonLoopbackListen_uiOffByDefault() {
    ServerConfig loopback = RunningServer.config(dir.resolve("a"), java.util.Optional.empty());
    ServerConfig wide =
        ServerConfig.builder()
            .dataDir(dir.resolve("b"))
            .host("0.0.0.0")
            .storeUrl("jdbc:sqlite:" + dir.resolve("b.db"))
            .build();

    assertThat(loopback.ui()).isTrue();
    assertThat(wide.ui()).isFalse();
  }

  private static java.net.HttpCookie cookie(String id) {
    java.net.HttpCookie c = new java.net.HttpCookie(UiHandler.COOKIE, id);
    c.setPath("/ui");
    c.setVersion(0);
    return c;
  }
}
