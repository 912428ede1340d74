package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.SecretListResponse;
import dev.keyturn.api.WireJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listing reveals only names the caller may list: pages are cut after filtering and page tokens are
 * sealed to the caller and the query.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListPagingTest {
  @TempDir static Path dir;
  private RunningServer server;
  private static final List<String> VISIBLE = List.of("app/dev/A", "app/dev/B", "app/dev/C");
  private static final List<String> HIDDEN =
      List.of("app/a-hidden", "app/dev-other/X", "app/prod/DB_PASSWORD", "app/prod/Z", "zz/LAST");

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    for (String name : HIDDEN) {
      server.client().put(name, new PutSecretRequest("v", null, null, null, null));
    }
    for (String name : VISIBLE) {
      server.client().put(name, new PutSecretRequest("v", null, null, null, null));
    }
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private SecretListResponse page(String token, String query) {
    RunningServer.Raw r = server.raw("GET", "/v1/secrets?" + query, token, null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return WireJson.mapper().readValue(r.body(), SecretListResponse.class);
  }

  @Test
  void walkWithLimitOne_learnsOnlyTheNamesItMayList() {
    String lister = server.token("list:app/dev/*");
    List<String> seen = new ArrayList<>();
    List<String> tokens = new ArrayList<>();

    String next = null;
    for (int i = 0; i < 20; i++) {
      SecretListResponse p = page(lister, "limit=1" + (next == null ? "" : "&page_token=" + next));
      p.secrets().forEach(s -> seen.add(s.name()));
      next = p.nextPageToken();
      if (next == null) {
        break;
      }
      tokens.add(next);
    }

    assertThat(seen).containsExactlyElementsOf(VISIBLE);
    assertThat(next).as("the walk ends").isNull();
    assertThat(tokens).hasSize(VISIBLE.size() - 1);
    for (String token : tokens) {
      String decoded =
          new String(Base64.getUrlDecoder().decode(token), StandardCharsets.ISO_8859_1);
      for (String name : HIDDEN) {
        assertThat(decoded).doesNotContain(name);
        assertThat(token).doesNotContain(name);
      }
      for (String name : VISIBLE) {
        assertThat(decoded).as("the token is opaque").doesNotContain(name);
      }
    }
  }

  @Test
  void everyPageIsFull_untilTheLast() {
    String lister = server.token("list:app/dev/*", "list:zz/*");

    SecretListResponse first = page(lister, "limit=2");
    SecretListResponse second = page(lister, "limit=2&page_token=" + first.nextPageToken());

    assertThat(first.secrets()).extracting(s -> s.name()).containsExactly("app/dev/A", "app/dev/B");
    assertThat(second.secrets()).extracting(s -> s.name()).containsExactly("app/dev/C", "zz/LAST");
    assertThat(second.nextPageToken()).isNull();
  }

  @Test
  void pageToken_ofAnotherCallerOrPrefixOrAltered_isRefused() {
    String lister = server.token("list:app/dev/*");
    String other = server.token("list:app/dev/*");
    String token = page(lister, "prefix=app/&limit=1").nextPageToken();
    char last = token.charAt(token.length() - 2);
    String altered =
        token.substring(0, token.length() - 2)
            + (last == 'A' ? 'B' : 'A')
            + token.substring(token.length() - 1);
    String forged =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("app/a-hidden".getBytes(StandardCharsets.UTF_8));

    assertThat(
            server
                .raw("GET", "/v1/secrets?prefix=app/&limit=1&page_token=" + token, lister, null)
                .status())
        .isEqualTo(200);
    for (String[] attempt :
        new String[][] {
          {other, "prefix=app/&page_token=" + token},
          {lister, "prefix=app/dev/&page_token=" + token},
          {lister, "prefix=app/&page_token=" + altered},
          {lister, "prefix=app/&page_token=" + forged},
          {lister, "prefix=app/&page_token=%00%0d%0a"},
        }) {
      RunningServer.Raw r = server.raw("GET", "/v1/secrets?" + attempt[1], attempt[0], null);

      assertThat(r.status()).as(attempt[1]).isEqualTo(400);
      assertThat(r.body()).contains("page_token").doesNotContain("app/");
    }
  }

  @Test
  void pageToken_survivesARestartWithTheSameRootKey() {
    String root = server.rootToken();
    String token = page(root, "prefix=app/dev/&limit=1").nextPageToken();

    server.close();
    server = RunningServer.start(dir.resolve("data"));

    assertThat(page(root, "prefix=app/dev/&limit=1&page_token=" + token).secrets())
        .extracting(s -> s.name())
        .containsExactly("app/dev/B");
  }
}
