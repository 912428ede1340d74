package dev.keyturn.uitests;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.ColorScheme;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.TokenCreated;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every dashboard page drawn in a laptop and in a phone viewport, in the light and the dark scheme
 * (as the system setting picks it), saved as PNG files: into {@code target/screenshots}, or into
 * the folder that the system property {@code keyturn.screenshots} names ({@code docs/dashboard} for
 * the pictures in docs/dashboard.md). No page but the reveal holds the canary value.
 */
@ExtendWith(Chromium.class)
class ScreenshotsTest {
  @TempDir static Path dir;
  static Dashboard dashboard;
  static String rotationId;

  @BeforeAll
  static void start() throws Exception {
    dashboard = Dashboard.start(dir);
    dashboard.release();
    RotationInfo rotation = dashboard.root.rotate(Dashboard.SIGNING, new RotateRequest(null, null));
    rotationId = rotation.id();
    dashboard.root.rotate(Dashboard.ANALYTICS, new RotateRequest(null, true, "leaked in a CI log"));
    TokenCreated reader = dashboard.token("deploy-bot", "read:shop/production/*");
    dashboard.server.client(reader.token()).get(Dashboard.SIGNING);
  }

  @AfterAll
  static void stop() throws Exception {
    dashboard.close();
  }

  @ParameterizedTest
  @EnumSource(
      value = ColorScheme.class,
      names = {"LIGHT", "DARK"})
  void everyPage_inTheScheme_isDrawnAndHoldsNoCanary(ColorScheme scheme, Browser browser)
      throws Exception {
    Path out = folder();
    String suffix = scheme.name().toLowerCase(java.util.Locale.ROOT);
    Map<String, String> pages = new LinkedHashMap<>();
    pages.put("inventory", "/ui/secrets?prefix=shop/production/");
    pages.put("secret", "/ui/secrets/" + Dashboard.SIGNING);
    pages.put("rotations", "/ui/rotations");
    pages.put("rotation", "/ui/rotations/" + rotationId);
    pages.put("audit", "/ui/audit");
    pages.put("tokens", "/ui/tokens");

    try (BrowserContext context = dashboard.context(browser, scheme)) {
      Page page = context.newPage();
      page.navigate("/ui/sign-in");
      shoot(page, out.resolve("sign-in-" + suffix + ".png"));
      Dashboard.signIn(page, dashboard.rootToken);
      for (Map.Entry<String, String> e : pages.entrySet()) {
        assertThat(page.navigate(e.getValue()).status()).as(e.getValue()).isEqualTo(200);
        assertThat(page.content()).doesNotContain(dashboard.canaryValue);
        shoot(page, out.resolve(e.getKey() + "-" + suffix + ".png"));
      }
      page.navigate("/ui/secrets/" + Dashboard.DATABASE);
      page.locator("#reveal-submit").click();
      page.locator("[data-testid=reveal-value]").waitFor();
      shoot(page, out.resolve("reveal-" + suffix + ".png"));
    }

    dashboard.assertNoCanary();
    try (var files = Files.list(out)) {
      assertThat(files.filter(f -> f.toString().endsWith("-" + suffix + ".png")).count())
          .isEqualTo(pages.size() + 2);
    }
  }

  /**
   * Every page in a phone's viewport (390 x 844 CSS pixels), light and dark, saved as {@code
   * NAME-SCHEME-phone.png}: usable at that width, so no page is wider than the screen (wide tables
   * scroll inside their own box) and the main actions are on it.
   */
  @ParameterizedTest
  @EnumSource(
      value = ColorScheme.class,
      names = {"LIGHT", "DARK"})
  void everyPage_onAPhone_fitsTheScreenWidth(ColorScheme scheme, Browser browser) throws Exception {
    Path out = folder();
    String suffix = scheme.name().toLowerCase(java.util.Locale.ROOT) + "-phone";
    Map<String, String> pages = new LinkedHashMap<>();
    pages.put("inventory", "/ui/secrets?prefix=shop/production/");
    pages.put("secret", "/ui/secrets/" + Dashboard.SIGNING);
    pages.put("rotations", "/ui/rotations");
    pages.put("rotation", "/ui/rotations/" + rotationId);
    pages.put("audit", "/ui/audit");
    pages.put("tokens", "/ui/tokens");

    try (BrowserContext context = dashboard.context(browser, scheme, 390, 844)) {
      Page page = context.newPage();
      page.navigate("/ui/sign-in");
      assertFits(page, "/ui/sign-in");
      shoot(page, out.resolve("sign-in-" + suffix + ".png"));
      Dashboard.signIn(page, dashboard.rootToken);
      for (Map.Entry<String, String> e : pages.entrySet()) {
        assertThat(page.navigate(e.getValue()).status()).as(e.getValue()).isEqualTo(200);
        assertThat(page.content()).doesNotContain(dashboard.canaryValue);
        assertFits(page, e.getValue());
        shoot(page, out.resolve(e.getKey() + "-" + suffix + ".png"));
      }
      page.navigate("/ui/secrets/" + Dashboard.DATABASE);
      assertThat(page.locator("#reveal-submit").isVisible()).isTrue();
      page.locator("#reveal-submit").click();
      page.locator("[data-testid=reveal-value]").waitFor();
      assertFits(page, "reveal");
      shoot(page, out.resolve("reveal-" + suffix + ".png"));
    }

    dashboard.assertNoCanary();
  }

  /** The page scrolls only down: nothing makes it wider than the viewport. */
  private static void assertFits(Page page, String what) {
    page.waitForLoadState();
    Object overflow =
        page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth");
    assertThat(((Number) overflow).intValue())
        .as(what + ": pixels wider than the screen")
        .isLessThanOrEqualTo(0);
  }

  private static void shoot(Page page, Path file) {
    // Relative times and the reveal's countdown are drawn by ui.js once the page has loaded.
    page.waitForLoadState();
    page.screenshot(new Page.ScreenshotOptions().setPath(file));
  }

  private static Path folder() throws java.io.IOException {
    String property = System.getProperty("keyturn.screenshots");
    Path folder =
        property == null || property.isBlank()
            ? Path.of("target", "screenshots")
            : Path.of(property);
    return Files.createDirectories(folder);
  }
}
