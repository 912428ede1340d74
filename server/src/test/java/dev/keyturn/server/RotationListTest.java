package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/rotations?prefix=&state=} (issue 20 item 0): rotations across secrets, newest
 * first, only of the secrets the caller may rotate, after the rotations really ran.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RotationListTest {
  private static final List<String> NAMES =
      List.of("team_a/prod/KEY", "team_a/dev/KEY", "teamXa/prod/KEY", "team_b/prod/KEY");
  @TempDir static Path dir;
  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    for (String name : NAMES) {
      server.client().put(name, new PutSecretRequest("list-canary-51e", null, null, null, null));
      send(
          server.rootToken(),
          "PUT",
          "/v1/rules/" + name,
          "{\"generate\":\"hex:32\",\"every\":\"30d\",\"strategy\":\"overlap\",\"grace\":\"1h\"}",
          200);
      send(server.rootToken(), "POST", "/v1/rotate/" + name, "{}", 200);
    }
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private RunningServer.Raw send(String token, String method, String path, String body, int want) {
    RunningServer.Raw r =
        server.raw(
            method, path, token, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).as(method + " " + path + ": " + r.body()).isEqualTo(want);
    return r;
  }

  private List<String> secrets(String token, String query) {
    RunningServer.Raw r = send(token, "GET", "/v1/rotations" + query, null, 200);
    List<String> out = new ArrayList<>();
    WireJson.mapper()
        .readTree(r.body())
        .get("rotations")
        .forEach(n -> out.add(n.get("secret").stringValue()));
    return out;
  }

  @Test
  void prefix_listsEverySecretsRotationsNewestFirst() {
    List<String> all = secrets(server.rootToken(), "?prefix=");
    List<String> teamA = secrets(server.rootToken(), "?prefix=team_a/");
    List<String> finished = secrets(server.rootToken(), "?prefix=team&state=finished");
    List<String> active = secrets(server.rootToken(), "?prefix=team&state=active");
    List<String> two = secrets(server.rootToken(), "?prefix=&limit=2");

    assertThat(all).containsExactlyElementsOf(NAMES.reversed());
    assertThat(teamA).containsExactly("team_a/dev/KEY", "team_a/prod/KEY");
    assertThat(finished).containsExactlyElementsOf(NAMES.reversed());
    assertThat(active).isEmpty();
    assertThat(two).containsExactly("team_b/prod/KEY", "teamXa/prod/KEY");
  }

  @Test
  void rows_areOnlyThoseOfSecretsTheCallerMayRotate() {
    String teamA = server.token("rotate:team_a/*");
    String admin = server.token("admin:team_a/prod/*");
    String reader = server.token("read:*", "list:*", "write:*");

    assertThat(secrets(teamA, "?prefix=")).containsExactly("team_a/dev/KEY", "team_a/prod/KEY");
    assertThat(secrets(admin, "?prefix=team")).containsExactly("team_a/prod/KEY");
    assertThat(secrets(reader, "?prefix=")).isEmpty();
    assertThat(secrets(teamA, "?secret=team_b/prod/KEY")).isEmpty();
    RunningServer.Raw body = send(teamA, "GET", "/v1/rotations?prefix=", null, 200);
    assertThat(body.body()).doesNotContain("team_b").doesNotContain("list-canary-51e");
  }

  @Test
  void badQueries_are400WithAJsonError() {
    for (String query :
        List.of(
            "?prefix=team%27",
            "?prefix=a%0Ab",
            "?prefix=" + "a".repeat(257),
            "?prefix=&state=done",
            "?prefix=&state=FINISHED",
            "?secret=team_a/prod/KEY&state=finished",
            "?secret=../x")) {
      RunningServer.Raw r = send(server.rootToken(), "GET", "/v1/rotations" + query, null, 400);

      assertThat(r.body()).as(query).contains("\"error\"");
    }
  }
}
