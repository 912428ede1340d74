package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.StatusRow;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inventory page through a real server: a folder shows its own secrets as rows and its
 * subfolders as folder rows; pages follow one another without gaps or repeats, in the order of
 * {@code keyturn status}; and a token sees rows and folder counts only of what it may list.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UiInventoryTest {
  private static final int BULK = 150;
  private static final Pattern ROW =
      Pattern.compile("data-testid=\"secret-row\" data-name=\"([^\"]+)\"");
  private static final Pattern FOLDER =
      Pattern.compile(
          "data-testid=\"folder-link\" data-prefix=\"([^\"]+)\"[^>]*>[^<]*</a> <span class=\"muted\">([0-9]+)<");
  private static final Pattern NEXT = Pattern.compile("id=\"page-next\" href=\"([^\"]+)\"");

  @TempDir static Path dir;
  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    for (String name :
        List.of("shop/A1", "shop/A2", "shop/sub/B1", "shop/sub/deep/C1", "shop/x10", "shop/x9")) {
      put(name);
    }
    for (int i = 0; i < BULK; i++) {
      put(String.format("bulk/S%03d", i));
    }
  }

  private void put(String name) {
    server.client().put(name, new PutSecretRequest("inventory-canary", null, null, null, null));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private Browser signedIn(String token) {
    Browser b = new Browser(server.url());
    assertThat(b.signIn(token).statusCode()).isEqualTo(303);
    return b;
  }

  private static List<String> all(Pattern p, String html, int group) {
    List<String> out = new ArrayList<>();
    Matcher m = p.matcher(html);
    while (m.find()) {
      out.add(m.group(group));
    }
    return out;
  }

  @Test
  void folder_showsItsOwnSecretsAsRows_andSubfoldersAsFolderRows() {
    Browser b = signedIn(server.rootToken());

    String page = b.get("/ui/secrets?prefix=shop/").body();
    String sorted = b.get("/ui/secrets?prefix=shop/&sort=state").body();

    assertThat(all(ROW, page, 1)).containsExactly("shop/A1", "shop/A2", "shop/x10", "shop/x9");
    assertThat(all(FOLDER, page, 1)).containsExactly("shop/sub/");
    assertThat(all(FOLDER, page, 2)).containsExactly("2");
    assertThat(page).contains("data-testid=\"inventory-total\">4 secrets<");
    assertThat(all(ROW, sorted, 1))
        .containsExactlyInAnyOrder("shop/A1", "shop/A2", "shop/x10", "shop/x9");
    assertThat(all(FOLDER, sorted, 1)).containsExactly("shop/sub/");
  }

  @Test
  void prefixThatIsNoFolder_showsEveryNameStartingWithIt() {
    Browser b = signedIn(server.rootToken());

    String page = b.get("/ui/secrets?prefix=shop/x").body();

    assertThat(all(ROW, page, 1)).containsExactly("shop/x10", "shop/x9");
    assertThat(all(FOLDER, page, 1)).isEmpty();
  }

  @Test
  void pages_followOneAnotherWithoutGapsOrRepeats_inTheOrderOfStatus() {
    Browser b = signedIn(server.rootToken());
    List<String> status =
        server.client().status("bulk/").secrets().stream().map(StatusRow::name).toList();

    String first = b.get("/ui/secrets?prefix=bulk/").body();
    Matcher next = NEXT.matcher(first);
    assertThat(next.find()).isTrue();
    String second = b.get(next.group(1).replace("&amp;", "&")).body();

    assertThat(first).contains(BULK + " secrets, page 1 of 2");
    assertThat(second).contains(BULK + " secrets, page 2 of 2").contains("id=\"page-prev\"");
    assertThat(second).doesNotContain("id=\"page-next\"");
    List<String> shown = new ArrayList<>(all(ROW, first, 1));
    assertThat(shown).hasSize(UiPages.PAGE_SIZE);
    shown.addAll(all(ROW, second, 1));
    assertThat(shown).isEqualTo(status).hasSize(BULK);
    assertThat(all(ROW, b.get("/ui/secrets?prefix=shop/x").body(), 1))
        .isEqualTo(
            server.client().status("shop/x").secrets().stream().map(StatusRow::name).toList());
  }

  @Test
  void tokenOfASubfolder_seesItsFolderCountedAndNoOtherRow() {
    Browser b = signedIn(server.token("list:shop/sub/*"));

    String shop = b.get("/ui/secrets?prefix=shop/").body();
    String bulk = b.get("/ui/secrets?prefix=bulk/").body();
    String top = b.get("/ui/secrets").body();
    String flat = b.get("/ui/secrets?prefix=shop/&owner=x").body();

    assertThat(all(ROW, shop, 1)).isEmpty();
    assertThat(all(FOLDER, shop, 1)).containsExactly("shop/sub/");
    assertThat(all(FOLDER, shop, 2)).containsExactly("2");
    assertThat(all(ROW, bulk, 1)).isEmpty();
    assertThat(bulk).contains("data-testid=\"inventory-total\">0 secrets<");
    assertThat(all(FOLDER, top, 1)).containsExactly("shop/");
    assertThat(all(FOLDER, top, 2)).containsExactly("2");
    assertThat(all(ROW, flat, 1)).isEmpty();
    assertThat(shop + bulk + top).doesNotContain("shop/A1").doesNotContain("bulk/S");
  }

  @Test
  void badAfter_isRefusedWithoutAPageOfOtherNames() {
    Browser b = signedIn(server.rootToken());

    int status = b.get("/ui/secrets?prefix=bulk/&after=..%0A").statusCode();

    assertThat(status).isEqualTo(400);
  }
}
