package dev.keyturn.uitests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.client.KeyturnUnauthorizedException;
import dev.keyturn.client.internal.WireClient;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's flows in Chromium, as a person signed in with the root token does them: sign in,
 * browse, reveal, rotate, emergency rotation and its readers, revoke a token, sign out. Every HTML
 * page these tests receive is checked for the canary value.
 */
@ExtendWith(Chromium.class)
class DashboardFlowTest {
  @TempDir static Path dir;
  static Dashboard dashboard;

  BrowserContext context;
  Page page;

  @BeforeAll
  static void start() throws Exception {
    dashboard = Dashboard.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    dashboard.close();
  }

  void open(Browser browser) {
    context = dashboard.context(browser);
    page = context.newPage();
    Dashboard.signIn(page, dashboard.rootToken);
  }

  @AfterEach
  void closeAndCheckCanary() {
    if (context != null) {
      context.close();
    }
    dashboard.assertNoCanary();
  }

  @Test
  void signIn_browseInventory_showsFoldersRowsAndTheSecret(Browser browser) {
    open(browser);

    expect(page.locator("[data-testid=whoami]")).containsText("root");
    page.locator("a[data-testid=folder-link][data-prefix='shop/']").click();
    page.locator("a[data-testid=folder-link][data-prefix='shop/production/']").click();
    Locator row = page.locator("tr[data-testid=secret-row][data-name='" + Dashboard.SIGNING + "']");
    expect(row).isVisible();
    expect(row.locator("[data-testid=state]")).hasText("ok");
    expect(row).containsText("web team");
    expect(page.locator("a[data-testid=folder-link][data-prefix='shop/production/webhooks/']"))
        .containsText("webhooks");
    row.locator("a").click();

    Dashboard.awaitUrl(page, Pattern.compile(".*/ui/secrets/" + Dashboard.SIGNING + "$"));
    expect(page.locator("h1")).hasText(Dashboard.SIGNING);
    expect(page.locator("[data-testid=rule-words]")).containsText("every 90 days");
    expect(page.locator("tr[data-testid=version-row][data-version='1']")).containsText("current");
  }

  @Test
  void reveal_showsTheValueAuditsTheReadAndHidesItAfter30Seconds(Browser browser) {
    open(browser);
    page.clock().install();
    page.navigate("/ui/secrets/" + Dashboard.CANARY);
    assertThat(page.content()).doesNotContain(dashboard.canaryValue);

    page.locator("#reveal-submit").click();

    Locator value = page.locator("[data-testid=reveal-value]");
    expect(value).hasText(dashboard.canaryValue);
    page.clock().runFor(29_000);
    expect(value).hasText(dashboard.canaryValue);
    page.clock().runFor(2_000);
    expect(value).hasCount(0);
    assertThat(page.content()).doesNotContain(dashboard.canaryValue);
    page.navigate("/ui/audit?secret=" + Dashboard.CANARY + "&action=secret.read");
    expect(page.locator("tr[data-testid=audit-row]").first()).containsText("secret.read");
  }

  @Test
  void rotateNow_showsTheRotationRunningThenItsChecklistComplete(Browser browser) throws Exception {
    open(browser);
    page.navigate("/ui/secrets/" + Dashboard.SIGNING);

    try {
      page.locator("#rotate-submit").click();

      Dashboard.awaitUrl(page, Pattern.compile(".*/ui/rotations/[^/]+$"));
      // Held in its set step by the hook, which waits for release().
      expect(page.locator("[data-testid=rotation-state]")).hasText("set");
    } finally {
      dashboard.release();
    }
    expect(page.locator("[data-testid=rotation-state]")).containsText("finished");
    Locator checks = page.locator("table#checklist tr[data-testid=check-row]");
    expect(checks.filter(new Locator.FilterOptions().setHasText("after-set check command")))
        .containsText("ok");
    assertThat(checks.count()).isGreaterThanOrEqualTo(2);
    assertThat(dashboard.root.history(Dashboard.SIGNING).versions())
        .anySatisfy(v -> assertThat(v.version() + " " + v.stage()).isEqualTo("2 current"));
  }

  @Test
  void emergencyRotation_thenTheReadersOfTheOldValueAreOnTheAuditPage(Browser browser) {
    TokenCreated reader = dashboard.token("analytics-reader", "read:" + Dashboard.ANALYTICS);
    try (WireClient client = dashboard.server.client(reader.token())) {
      client.get(Dashboard.ANALYTICS);
    }
    open(browser);
    page.navigate("/ui/secrets/" + Dashboard.ANALYTICS);

    page.locator("details:has(#emergency-form) > summary").click();
    page.locator("#emergency-confirm").fill(Dashboard.ANALYTICS);
    page.locator("#emergency-reason").fill("leaked in a CI log");
    page.locator("#emergency-submit").click();

    Dashboard.awaitUrl(page, Pattern.compile(".*/ui/rotations/[^/]+$"));
    expect(page.locator("[data-testid=rotation-state]")).containsText("finished");
    RotationInfo done = dashboard.root.rotations(Dashboard.ANALYTICS).rotations().get(0);
    assertThat(done.emergency()).isTrue();
    assertThat(done.requestReason()).isEqualTo("leaked in a CI log");
    page.navigate("/ui/secrets/" + Dashboard.ANALYTICS);
    expect(page.locator("tr[data-testid=version-row][data-version='1']")).containsText("retired");
    page.locator("#readers-since").click();
    Locator reads =
        page.locator("tr[data-testid=audit-row]")
            .filter(new Locator.FilterOptions().setHasText(reader.id()));
    expect(reads.first()).containsText("secret.read");
  }

  @Test
  void revokeToken_onTheTokensPage_theTokenStopsWorking(Browser browser) {
    TokenCreated doomed = dashboard.token("doomed", "list:shop/*");
    open(browser);

    page.locator("#nav-tokens").click();
    expect(page.locator("tr[data-testid=token-row][data-id='" + doomed.id() + "']")).isVisible();
    page.locator("form[data-testid=revoke-form][data-id='" + doomed.id() + "'] button").click();

    expect(page.locator("tr[data-testid=token-row][data-id='" + doomed.id() + "']"))
        .containsText("revoked");
    try (WireClient client = dashboard.server.client(doomed.token())) {
      assertThatThrownBy(client::whoami)
          .isInstanceOf(KeyturnUnauthorizedException.class)
          .hasMessageContaining("revoked");
    }
  }

  @Test
  void signOut_endsTheSession_andItsCookieOpensNothing(Browser browser) {
    open(browser);
    var cookies = context.cookies();

    page.locator("#sign-out-submit").click();

    page.waitForURL("**/ui/sign-in");
    page.navigate("/ui/secrets");
    assertThat(page.url()).endsWith("/ui/sign-in");
    BrowserContext replay = dashboard.context(browser);
    replay.addCookies(cookies.stream().map(c -> asNew(c)).toList());
    Page again = replay.newPage();
    again.navigate("/ui/secrets");
    assertThat(again.url()).as("the old session cookie, replayed").endsWith("/ui/sign-in");
    replay.close();
  }

  private static com.microsoft.playwright.options.Cookie asNew(
      com.microsoft.playwright.options.Cookie c) {
    return new com.microsoft.playwright.options.Cookie(c.name, c.value)
        .setDomain(c.domain)
        .setPath(c.path);
  }

  static LocatorAssertions expect(Locator locator) {
    return PlaywrightAssertions.assertThat(locator);
  }
}
