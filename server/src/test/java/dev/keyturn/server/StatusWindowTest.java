package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.StatusFolder;
import dev.keyturn.api.StatusResponse;
import dev.keyturn.api.StatusRow;
import dev.keyturn.api.WireJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/status} by pages ({@code ?after=}, {@code ?limit=}) and as a folder's tree ({@code
 * ?tree=true}): the pages put together are the whole board, row for row, and a page shows a token
 * exactly the rows (and folder counts) its grants cover, as the whole board does.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatusWindowTest {
  private static final List<String> NAMES =
      List.of(
          "app/a/S1",
          "app/a/S2",
          "app/a/S3",
          "app/a/S4",
          "app/a/S5",
          "app/a/sub/T1",
          "app/a/sub/deep/U1",
          "app/b/V1",
          "other/Z1");

  @TempDir static Path dir;
  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    for (String name : NAMES) {
      server.client().put(name, new PutSecretRequest("window-canary", null, null, null, null));
    }
    RunningServer.Raw rule =
        server.raw(
            "PUT",
            "/v1/rules/app/a/S2",
            server.rootToken(),
            "{\"generate\":\"hex:32\",\"every\":\"30d\",\"owner\":\"team-a\"}".getBytes());
    assertThat(rule.status()).as(rule.body()).isEqualTo(200);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private StatusResponse status(String token, String query) {
    RunningServer.Raw r = server.raw("GET", "/v1/status?" + query, token, null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return WireJson.mapper().readValue(r.body(), StatusResponse.class);
  }

  private static List<String> names(StatusResponse s) {
    return s.secrets().stream().map(StatusRow::name).toList();
  }

  /** Every page of {@code query} from the first, by following {@code next}. */
  private List<StatusResponse> pages(String token, String query) {
    List<StatusResponse> out = new ArrayList<>();
    String after = "";
    do {
      StatusResponse page = status(token, query + (after.isEmpty() ? "" : "&after=" + after));
      out.add(page);
      after = page.next() == null ? "" : page.next();
    } while (!after.isEmpty() && out.size() < 20);
    return out;
  }

  @Test
  void status_pagesFollowedByNext_areTheWholeBoardRowForRow() {
    StatusResponse whole = status(server.rootToken(), "prefix=app/");

    List<StatusResponse> pages = pages(server.rootToken(), "prefix=app/&limit=3");

    assertThat(pages).hasSize(3);
    assertThat(pages.get(0).total()).isEqualTo(8);
    assertThat(pages.get(2).next()).isNull();
    assertThat(pages.stream().flatMap(p -> p.secrets().stream()).toList())
        .isEqualTo(whole.secrets());
    assertThat(whole.total()).isNull();
    assertThat(names(pages.get(0))).containsExactly("app/a/S1", "app/a/S2", "app/a/S3");
    assertThat(pages.get(0).secrets().get(1).owner()).isEqualTo("team-a");
  }

  @Test
  void status_tree_rowsAreTheFolderOwnSecretsAndSubfoldersAreCounted() {
    StatusResponse tree = status(server.rootToken(), "prefix=app/a/&tree=true&limit=100");

    assertThat(names(tree))
        .containsExactly("app/a/S1", "app/a/S2", "app/a/S3", "app/a/S4", "app/a/S5");
    assertThat(tree.total()).isEqualTo(5);
    assertThat(tree.folders()).containsExactly(new StatusFolder("sub", 2));
    assertThat(status(server.rootToken(), "tree=true").folders())
        .containsExactly(new StatusFolder("app", 8), new StatusFolder("other", 1));
  }

  @Test
  void status_pageForTokenOfAnotherPrefix_showsNothingOfThisOne() {
    String other = server.token("list:other/*");

    StatusResponse page = status(other, "prefix=app/&limit=100");
    StatusResponse tree = status(other, "prefix=app/a/&tree=true&limit=100");
    StatusResponse top = status(other, "tree=true&limit=100");

    assertThat(page.secrets()).isEmpty();
    assertThat(page.total()).isZero();
    assertThat(tree.secrets()).isEmpty();
    assertThat(tree.folders()).isEmpty();
    assertThat(top.folders()).containsExactly(new StatusFolder("other", 1));
    assertThat(status(other, "prefix=app/").secrets()).isEmpty();
  }

  @Test
  void status_pageForNarrowGrants_isTheWholeBoardOfThatTokenRowForRow() {
    String narrow = server.token("list:app/a/S3", "list:app/a/sub/*", "read:app/*");

    StatusResponse whole = status(narrow, "prefix=app/");
    List<StatusResponse> pages = pages(narrow, "prefix=app/&limit=1");
    StatusResponse tree = status(narrow, "prefix=app/a/&tree=true&limit=100");

    assertThat(names(whole)).containsExactly("app/a/S3", "app/a/sub/T1", "app/a/sub/deep/U1");
    assertThat(pages.stream().flatMap(p -> p.secrets().stream()).toList())
        .isEqualTo(whole.secrets());
    assertThat(names(tree)).containsExactly("app/a/S3");
    assertThat(tree.folders()).containsExactly(new StatusFolder("sub", 2));
  }

  @Test
  void status_namesSharingAPrefix_pageInNameOrderWithoutSkipsOrRepeats() {
    // '-' < '/' < '0' in name order: a/b, a/b-c, a/b/c, a/b0, with a rule on a name that has no
    // secret between them; one row a page must still give every row once, as the whole board does.
    List<String> names = List.of("pfx/a/b0", "pfx/a/b/c", "pfx/a/b", "pfx/a/b-c", "pfx/a/b/c/d");
    for (String name : names) {
      server.client().put(name, new PutSecretRequest("window-canary", null, null, null, null));
    }
    RunningServer.Raw rule =
        server.raw(
            "PUT",
            "/v1/rules/pfx/a/b.x",
            server.rootToken(),
            "{\"generate\":\"hex:32\",\"every\":\"30d\"}".getBytes());
    try {
      StatusResponse whole = status(server.rootToken(), "prefix=pfx/a/b");

      List<StatusResponse> pages = pages(server.rootToken(), "prefix=pfx/a/b&limit=1");
      StatusResponse tree = status(server.rootToken(), "prefix=pfx/a/&tree=true&limit=2");
      StatusResponse treeNext =
          status(server.rootToken(), "prefix=pfx/a/&tree=true&limit=2&after=" + tree.next());

      List<String> expected = new ArrayList<>(names);
      if (rule.status() == 200) {
        expected.add("pfx/a/b.x");
      }
      assertThat(names(whole)).isSortedAccordingTo(String::compareTo);
      assertThat(names(whole)).containsExactlyInAnyOrderElementsOf(expected);
      assertThat(pages.stream().flatMap(p -> p.secrets().stream()).toList())
          .isEqualTo(whole.secrets());
      assertThat(pages.get(0).total()).isEqualTo(expected.size());
      List<String> direct = new ArrayList<>(names(tree));
      direct.addAll(names(treeNext));
      assertThat(direct)
          .isEqualTo(
              expected.stream()
                  .filter(n -> n.indexOf('/', "pfx/a/".length()) < 0)
                  .sorted()
                  .toList());
      assertThat(tree.folders()).containsExactly(new StatusFolder("b", 2));
    } finally {
      server.raw("DELETE", "/v1/rules/pfx/a/b.x", server.rootToken(), null);
      for (String name : names) {
        server.client().delete(name, false);
      }
    }
  }

  @Test
  void status_badPageParameters_are400() {
    for (String query :
        List.of(
            "prefix=app/a&tree=true",
            "limit=0",
            "limit=abc",
            "limit=10001",
            "after=..%2Fx%0A",
            "tree=yes")) {
      RunningServer.Raw r = server.raw("GET", "/v1/status?" + query, server.rootToken(), null);

      assertThat(r.status()).as(query + ": " + r.body()).isEqualTo(400);
      assertThat(r.body()).contains("\"error\"");
    }
  }
}
