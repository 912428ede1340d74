package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.api.WireJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /v1/audit} for a scoped admin (issue 20 item 0): the records of the secrets its admin
 * grants cover, and nothing else (no other secret's, no token's or server's records); {@code
 * ?token=} and {@code ?result=} narrow it; verify and head stay {@code admin:*}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScopedAuditTest {
  @TempDir static Path dir;
  private RunningServer server;
  private TokenCreated reader;
  private String teamAdmin;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    for (String name : List.of("team_a/prod/KEY", "teamXa/prod/KEY", "team_b/prod/KEY")) {
      server.client().put(name, new PutSecretRequest("audit-canary-9c1", null, null, null, null));
    }
    reader = server.client().createToken(new TokenCreateRequest("reader", List.of("read:*"), null));
    for (String name : List.of("team_a/prod/KEY", "teamXa/prod/KEY", "team_b/prod/KEY")) {
      server.client(reader.token()).get(name);
    }
    server.raw("GET", "/v1/secrets/team_a/prod/NOPE", reader.token(), null);
    teamAdmin = server.token("admin:team_a/*");
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private List<JsonNode> records(String token, String query) {
    RunningServer.Raw r = server.raw("GET", "/v1/audit" + query, token, null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    WireJson.mapper().readTree(r.body()).get("records").forEach(out::add);
    return out;
  }

  private static List<String> secrets(List<JsonNode> records) {
    return records.stream()
        .map(n ->
            n.get("secret") == null || n.get("secret").isNull()
                ? "-"
                : n.get("secret").stringValue())
        .toList();
  }

  @Test
  void scopedAdmin_seesOnlyRecordsOfTheSecretsItCovers() {
    List<JsonNode> seen = records(teamAdmin, "");
    List<JsonNode> all = records(server.rootToken(), "");

    assertThat(secrets(seen)).isNotEmpty().allMatch(s -> s.startsWith("team_a/"));
    assertThat(secrets(seen)).contains("team_a/prod/KEY");
    assertThat(secrets(all)).contains("teamXa/prod/KEY", "team_b/prod/KEY", "-");
    assertThat(seen.toString()).doesNotContain("audit-canary-9c1");
  }

  @Test
  void scopedAdmin_filteringByAnotherTokenOrResult_staysWithinItsSecrets() {
    List<JsonNode> byReader = records(teamAdmin, "?token=" + reader.id());
    List<JsonNode> refused = records(teamAdmin, "?token=" + reader.id() + "&result=failed");

    assertThat(byReader).isNotEmpty();
    assertThat(byReader)
        .allSatisfy(n -> assertThat(n.get("token_id").stringValue()).isEqualTo(reader.id()));
    assertThat(secrets(byReader)).containsOnly("team_a/prod/KEY", "team_a/prod/NOPE");
    assertThat(secrets(refused)).containsExactly("team_a/prod/NOPE");
  }

  @Test
  void scopedAdmin_askingForASecretItDoesNotCover_getsNoRecord() {
    for (String query :
        List.of(
            "?secret=team_b/prod/KEY",
            "?secret=teamXa/prod/KEY",
            "?secret=team_a/*",
            "?secret=team_a/%25",
            "?action=token.create")) {
      List<JsonNode> seen = records(teamAdmin, query);

      assertThat(seen).as(query).isEmpty();
    }
    assertThat(records(server.rootToken(), "?secret=team_b/prod/KEY")).isNotEmpty();
  }

  @Test
  void tokensWithoutAnAdminGrant_seeNoRecord_andVerifyOrHeadForAScopedAdmin_are403() {
    String rotator = server.token("rotate:team_a/*", "read:team_a/*", "list:*");

    List<RunningServer.Raw> refused =
        List.of(
            server.raw("GET", "/v1/audit/verify", teamAdmin, null),
            server.raw("GET", "/v1/audit/head", teamAdmin, null));

    assertThat(refused).allSatisfy(r -> assertThat(r.status()).as(r.body()).isEqualTo(403));
    assertThat(records(reader.token(), "")).isEmpty();
    assertThat(records(rotator, "?secret=team_a/prod/KEY")).isEmpty();
  }

  @Test
  void malformedTokenFilter_is400() {
    for (String bad :
        List.of("x", "tok_123", "tok_ZZZZZZZZZZZZZZZZ", "tok_0123456789abcdef%27", "root%0A")) {
      RunningServer.Raw r = server.raw("GET", "/v1/audit?token=" + bad, server.rootToken(), null);

      assertThat(r.status()).as(bad + ": " + r.body()).isEqualTo(400);
      assertThat(r.body()).contains("\"error\"");
    }
  }
}
