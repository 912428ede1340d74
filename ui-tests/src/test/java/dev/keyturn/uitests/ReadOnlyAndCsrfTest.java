package dev.keyturn.uitests;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.APIResponse;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.FormData;
import com.microsoft.playwright.options.RequestOptions;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.TokenCreated;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's permissions and CSRF protection seen from a browser: a read-only token is shown
 * no action, and the forms it was not shown, posted anyway with its session and CSRF token, are
 * refused and change nothing; a form posted without the session's CSRF token is refused.
 */
@ExtendWith(Chromium.class)
class ReadOnlyAndCsrfTest {
  @TempDir static Path dir;
  static Dashboard dashboard;
  final List<BrowserContext> contexts = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    dashboard = Dashboard.start(dir);
    // A second version with a grace window: the first becomes previous, so roll back and retire
    // forms exist for an admin.
    dashboard.root.put(
        Dashboard.DATABASE, new PutSecretRequest(null, null, "password:24", "24h", null));
    dashboard.release();
  }

  @AfterAll
  static void stop() throws Exception {
    dashboard.close();
  }

  @AfterEach
  void closeAndCheckCanary() {
    contexts.forEach(BrowserContext::close);
    dashboard.assertNoCanary();
  }

  Page signedIn(Browser browser, String token) {
    BrowserContext context = dashboard.context(browser);
    contexts.add(context);
    Page page = context.newPage();
    Dashboard.signIn(page, token);
    return page;
  }

  @Test
  void readOnlyToken_onEveryPage_seesNoActionButtons(Browser browser) {
    TokenCreated viewer = dashboard.token("viewer", "read:shop/*", "list:shop/*");
    Page page = signedIn(browser, viewer.token());

    page.navigate("/ui/secrets?prefix=shop/production/");
    expect(page.locator("tr[data-testid=secret-row]").first()).isVisible();
    expect(page.locator("#nav-tokens")).hasCount(0);
    for (String name : List.of(Dashboard.SIGNING, Dashboard.DATABASE, Dashboard.CANARY)) {
      page.navigate("/ui/secrets/" + name);
      expect(page.locator("h1")).hasText(name);
      expect(page.locator("#rotate-form")).hasCount(0);
      expect(page.locator("#emergency-form")).hasCount(0);
      expect(page.locator("form[data-testid=rollback-form]")).hasCount(0);
      expect(page.locator("form[data-testid=retire-form]")).hasCount(0);
      expect(page.locator("#reveal-submit")).isVisible();
    }
    assertThat(page.navigate("/ui/tokens").status()).isEqualTo(403);
  }

  @Test
  void readOnlyToken_postingAnAdminsFormsAnyway_gets403AndChangesNothing(Browser browser) {
    TokenCreated viewer = dashboard.token("viewer", "read:shop/*", "list:shop/*");
    TokenCreated other = dashboard.token("other", "list:shop/*");
    List<Form> forms = adminForms(browser, other.id());
    int versions = dashboard.root.history(Dashboard.DATABASE).versions().size();
    int tokens = dashboard.root.listTokens().tokens().size();
    Page page = signedIn(browser, viewer.token());
    String csrf = Dashboard.csrf(page);

    for (Form form : forms) {
      APIResponse answer = post(page, form, csrf);

      assertThat(answer.status()).as(form.toString()).isEqualTo(403);
    }

    assertThat(forms).extracting(Form::id).contains("rotate-form", "emergency-form", "revoke-form");
    assertThat(dashboard.root.rotations(Dashboard.SIGNING).rotations()).isEmpty();
    assertThat(dashboard.root.rotations(Dashboard.DATABASE).rotations()).isEmpty();
    assertThat(dashboard.root.history(Dashboard.DATABASE).versions())
        .hasSize(versions)
        .anySatisfy(v -> assertThat(v.version() + " " + v.stage()).isEqualTo("1 previous"));
    assertThat(dashboard.root.listTokens().tokens()).hasSize(tokens);
    assertThat(dashboard.server.client(other.token()).whoami().tokenId()).isEqualTo(other.id());
  }

  @Test
  void formWithoutCsrfToken_isRefused_andTheRightOneWorks(Browser browser) {
    Page page = signedIn(browser, dashboard.rootToken);
    Page elsewhere = signedIn(browser, dashboard.rootToken);
    page.navigate("/ui/secrets/" + Dashboard.SIGNING);
    Form rotate = Form.of(page.locator("#rotate-form"));

    APIResponse none = post(page, rotate, null);
    APIResponse foreign = post(page, rotate, Dashboard.csrf(elsewhere));
    APIResponse signOutWithout = post(page, Form.of(page.locator("#sign-out")), null);

    assertThat(none.status()).isEqualTo(403);
    assertThat(none.text()).containsIgnoringCase("csrf");
    assertThat(foreign.status()).as("another session's CSRF token").isEqualTo(403);
    assertThat(signOutWithout.status()).isEqualTo(403);
    assertThat(dashboard.root.rotations(Dashboard.SIGNING).rotations()).isEmpty();
    page.navigate("/ui/secrets");
    assertThat(page.url()).as("still signed in").endsWith("/ui/secrets");
    page.locator("#sign-out-submit").click();
    Dashboard.awaitUrl(page, java.util.regex.Pattern.compile(".*/ui/sign-in$"));
  }

  /** The forms an admin's pages show (with their filled-in fields), from a root session. */
  private List<Form> adminForms(Browser browser, String tokenToRevoke) {
    Page admin = signedIn(browser, dashboard.rootToken);
    List<Form> forms = new ArrayList<>();
    admin.navigate("/ui/secrets/" + Dashboard.SIGNING);
    forms.add(Form.of(admin.locator("#rotate-form")));
    Form emergency = Form.of(admin.locator("#emergency-form"));
    emergency.fields.put("confirm", Dashboard.SIGNING);
    emergency.fields.put("reason", "a read-only token tries");
    forms.add(emergency);
    admin.navigate("/ui/secrets/" + Dashboard.DATABASE);
    forms.add(Form.of(admin.locator("form[data-testid=rollback-form][data-version='1']")));
    forms.add(Form.of(admin.locator("form[data-testid=retire-form][data-version='1']")));
    admin.navigate("/ui/tokens");
    forms.add(
        Form.of(admin.locator("form[data-testid=revoke-form][data-id='" + tokenToRevoke + "']")));
    Form create = Form.of(admin.locator("#token-create"));
    create.fields.put("name", "minted-by-a-viewer");
    create.fields.put("grants", "admin:*");
    forms.add(create);
    return forms;
  }

  /** Posts {@code form} with the page's session cookie and {@code csrf} (none when null). */
  private static APIResponse post(Page page, Form form, String csrf) {
    FormData data = FormData.create();
    form.fields.forEach((k, v) -> {
      if (!k.equals("csrf")) {
        data.set(k, v);
      }
    });
    if (csrf != null) {
      data.set("csrf", csrf);
    }
    return page.request()
        .post(form.action, RequestOptions.create().setForm(data).setMaxRedirects(0));
  }

  /** A form's action and fields as the page filled them in. */
  record Form(String id, String action, Map<String, String> fields) {
    @SuppressWarnings("unchecked")
    static Form of(Locator form) {
      String id = form.getAttribute("id");
      if (id == null) {
        id = form.getAttribute("data-testid");
      }
      Map<String, Object> raw =
          (Map<String, Object>) form.evaluate("f => Object.fromEntries(new FormData(f))");
      Map<String, String> fields = new LinkedHashMap<>();
      raw.forEach((k, v) -> fields.put(k, String.valueOf(v)));
      return new Form(id, form.getAttribute("action"), fields);
    }
  }

  static LocatorAssertions expect(Locator locator) {
    return PlaywrightAssertions.assertThat(locator);
  }
}
