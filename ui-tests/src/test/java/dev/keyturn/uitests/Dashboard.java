package dev.keyturn.uitests;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.options.ColorScheme;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.server.ChildServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real server in a child JVM with the secrets the dashboard tests look at, and browser contexts
 * signed in to it. Every context it makes watches each HTML page it receives: a page that holds the
 * canary value is a failure ({@link #assertNoCanary}) unless it is the answer to a reveal.
 *
 * <p>The server declares two commands for rules: {@code hold}, which waits until the test calls
 * {@link #release} (so that a test sees a rotation running, then watches it finish), and {@code
 * app-check}, a check that passes.
 */
final class Dashboard implements AutoCloseable {
  /** The canary's secret; its value is random per run and appears only on its reveal page. */
  static final String CANARY = "shop/production/CANARY_KEY";

  static final String SIGNING = "shop/production/REVALIDATE_SECRET";
  static final String ANALYTICS = "shop/production/ANALYTICS_SECRET";
  static final String DATABASE = "shop/staging/DATABASE_PASSWORD";

  final ChildServer server;
  final String base;
  final String rootToken;
  final WireClient root;
  final String canaryValue;
  private final Path release;
  private final List<String> canarySightings = new CopyOnWriteArrayList<>();

  private Dashboard(ChildServer server, Path release, String canaryValue) throws IOException {
    this.server = server;
    this.base = "http://127.0.0.1:" + server.port();
    this.rootToken = Files.readString(server.data().resolve("root.token")).strip();
    this.root = server.client(rootToken);
    this.release = release;
    this.canaryValue = canaryValue;
  }

  /** Starts the server in {@code dir} and stores the secrets and rules the pages show. */
  static Dashboard start(Path dir) throws IOException, InterruptedException {
    Path release = dir.resolve("release");
    Path config = dir.resolve("keyturn.yaml");
    Files.writeString(
        config,
        "commands:\n"
            + "  hold:\n"
            + "    sh: 'while [ ! -e \""
            + release
            + "\" ]; do sleep 0.1; done'\n"
            + "  app-check:\n"
            + "    sh: 'exit 0'\n");
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    Dashboard d =
        new Dashboard(
            ChildServer.start(dir.resolve("data"), config),
            release,
            "canary-" + HexFormat.of().formatHex(random));
    d.seed();
    return d;
  }

  private void seed() {
    root.put(CANARY, new PutSecretRequest(canaryValue, null, null, null, null));
    root.put(SIGNING, new PutSecretRequest(null, null, "hex:32", null, null));
    root.putRule(
        SIGNING,
        rule(
            "every 90d",
            "web team",
            List.of(
                Map.of("phase", "after-set", "type", "command", "command", "hold"),
                Map.of(
                    "phase",
                    "after-set",
                    "type",
                    "command",
                    "command",
                    "app-check",
                    "check",
                    "true"))));
    root.put(ANALYTICS, new PutSecretRequest(null, null, "hex:32", null, null));
    root.putRule(ANALYTICS, rule("every 30d", "data team", List.of()));
    root.put(DATABASE, new PutSecretRequest(null, null, "password:24", null, null));
    for (int i = 1; i <= 12; i++) {
      root.put(
          "shop/production/webhooks/HOOK_" + i,
          new PutSecretRequest(null, null, "base64url:32", null, null));
    }
  }

  private static RuleBody rule(String every, String owner, List<Map<String, String>> hooks) {
    return new RuleBody(
        "hex:32",
        every.substring("every ".length()),
        "Europe/Berlin",
        "24h",
        "overlap",
        null,
        null,
        owner,
        "signs the front end's revalidation calls",
        "front end cannot revalidate",
        1,
        "1s",
        hooks,
        null,
        null);
  }

  /** Lets the {@code hold} hook, and so a rotation of {@link #SIGNING}, finish. */
  void release() throws IOException {
    Files.writeString(release, "");
  }

  /** A token with {@code grants}, valid for an hour. */
  TokenCreated token(String name, String... grants) {
    return root.createToken(new TokenCreateRequest(name, List.of(grants), "1h"));
  }

  /**
   * A fresh context (laptop viewport, {@code scheme}) whose HTML pages are checked for the canary.
   */
  BrowserContext context(Browser browser, ColorScheme scheme) {
    return context(browser, scheme, 1280, 800);
  }

  /** As above, in a {@code width} x {@code height} viewport (390 x 844: a phone). */
  BrowserContext context(Browser browser, ColorScheme scheme, int width, int height) {
    BrowserContext context =
        browser.newContext(
            new Browser.NewContextOptions()
                .setViewportSize(width, height)
                .setColorScheme(scheme)
                .setBaseURL(base)
                .setTimezoneId("Europe/Berlin")
                .setLocale("en-GB"));
    // A loaded machine (load 10-25 on 2 cores) makes Playwright's 5 s defaults flaky.
    context.setDefaultTimeout(30_000);
    context.onResponse(this::watch);
    return context;
  }

  BrowserContext context(Browser browser) {
    return context(browser, ColorScheme.LIGHT);
  }

  private void watch(Response response) {
    String type = response.headerValue("content-type");
    if (type == null || !type.startsWith("text/html")) {
      return;
    }
    String body;
    try {
      body = response.text();
    } catch (RuntimeException e) {
      return; // a redirect or an aborted load has no body to look at
    }
    if (body.contains(canaryValue) && !response.url().startsWith(base + "/ui/reveal/")) {
      canarySightings.add(response.request().method() + " " + response.url());
    }
  }

  /** No HTML page but a reveal's answer held the canary value. */
  void assertNoCanary() {
    assertThat(canarySightings).as("pages that held the canary value").isEmpty();
  }

  /** Signs {@code page} in with {@code token} through the sign-in form; lands on the inventory. */
  static void signIn(Page page, String token) {
    page.navigate("/ui/sign-in");
    page.locator("#token").fill(token);
    page.locator("#sign-in-submit").click();
    awaitUrl(page, java.util.regex.Pattern.compile(".*/ui/secrets$"));
  }

  /**
   * Waits until {@code page} shows a URL matching {@code url}; if it does not, fails with the URL
   * and the text of the page it shows instead.
   */
  static void awaitUrl(Page page, java.util.regex.Pattern url) {
    try {
      page.waitForURL(url);
    } catch (com.microsoft.playwright.TimeoutError e) {
      throw new AssertionError(
          "expected a page at " + url + ", still at " + page.url() + ":\n" + mainText(page), e);
    }
  }

  private static String mainText(Page page) {
    try {
      return page.locator("main").innerText(new Locator.InnerTextOptions().setTimeout(2_000));
    } catch (RuntimeException e) {
      return "(no main element)";
    }
  }

  /** The session's CSRF token, as the page's forms carry it. */
  static String csrf(Page page) {
    return page.locator("#sign-out input[name=csrf]").getAttribute("value");
  }

  @Override
  public void close() throws InterruptedException {
    server.kill();
  }
}
