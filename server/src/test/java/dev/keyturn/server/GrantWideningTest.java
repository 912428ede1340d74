package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.TokenInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Delegation through the real server: a token can only mint grants its own grants cover exactly
 * (issue 10 item 1). The two escalations found against the prefix rule, and grants that are not
 * canonical.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrantWideningTest {
  @TempDir static Path dir;
  private RunningServer server;

  @BeforeAll
  void start() {
    server = RunningServer.start(dir.resolve("data"));
    server.client().put("app/prod/X", new PutSecretRequest("prod-value", null, null, null, null));
    server.client().put("app/dev/X", new PutSecretRequest("dev-value", null, null, null, null));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void create_adminOnStarDevStar_cannotMintAdminStar() {
    String scoped = server.token("admin:*/dev/*");
    int before = tokenCount();

    RunningServer.Raw minted = create(scoped, "admin:*");

    assertThat(minted.status()).as(minted.body()).isEqualTo(403);
    assertThat(minted.body()).contains("\"code\":\"forbidden\"").doesNotContain("kt_");
    assertThat(tokenCount()).isEqualTo(before);
    assertThat(server.raw("GET", "/v1/secrets/app/prod/X", scoped, null).status()).isEqualTo(403);
    assertThat(server.raw("GET", "/v1/tokens", scoped, null).status()).isEqualTo(403);
  }

  @Test
  void create_adminOnSuffixPattern_cannotMintTheWholeFolder() {
    String scoped = server.token("admin:app/dev/*_PUBLIC");
    int before = tokenCount();

    RunningServer.Raw wider = create(scoped, "read:app/dev/*");
    RunningServer.Raw narrower = create(scoped, "read:app/dev/web/*_PUBLIC");

    assertThat(wider.status()).as(wider.body()).isEqualTo(403);
    assertThat(narrower.status()).as(narrower.body()).isEqualTo(200);
    assertThat(tokenCount()).isEqualTo(before + 1);
  }

  @Test
  void create_scopedAdmin_mintsWhatItCoversOnly() {
    String scoped = server.token("admin:app/*");

    assertThat(create(scoped, "read:app/prod/*").status()).isEqualTo(200);
    assertThat(create(scoped, "admin:app/dev/*").status()).isEqualTo(200);
    assertThat(create(scoped, "read:other/*").status()).isEqualTo(403);
    assertThat(create(scoped, "read:*").status()).isEqualTo(403);
    assertThat(create(scoped, "read:*/app/*").status()).isEqualTo(403);
  }

  @Test
  void create_readToken_cannotMintEvenWhatItHolds() {
    String reader = server.token("read:app/*");

    assertThat(create(reader, "read:app/prod/*").status()).isEqualTo(403);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "read:app/../prod/*",
        "read:app//prod/*",
        "read:/app/*",
        "read:app/prod/",
        "read:app/./prod",
        "read:app/**",
        "read:*a*b*c*d*e*f*g*h*i",
        "read:app/%2e%2e/*",
        "read:app/x\\\"y",
        "read:app/x;rm -rf",
        "read:app/\\r\\nInjected: yes",
        "read:app/\\u0000",
      })
  void create_nonCanonicalGrant_is400WithoutEchoingIt(String grant) {
    int before = tokenCount();

    RunningServer.Raw r = create(server.rootToken(), grant);

    assertThat(r.status()).as(grant + ": " + r.body()).isEqualTo(400);
    assertThat(r.body()).contains("invalid grant");
    String glob = grant.substring(grant.indexOf(':') + 1);
    assertThat(r.body()).doesNotContain(glob).doesNotContain("Injected");
    assertThat(tokenCount()).isEqualTo(before);
  }

  @Test
  void create_hugeGrant_is400WithABoundedMessage() {
    RunningServer.Raw r = create(server.rootToken(), "read:" + "a/".repeat(5_000) + "*");

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body().length()).isLessThan(300);
  }

  private RunningServer.Raw create(String token, String grant) {
    String body = "{\"name\":\"t\",\"grants\":[\"" + grant + "\"]}";
    return server.raw("POST", "/v1/tokens", token, body.getBytes(StandardCharsets.UTF_8));
  }

  private int tokenCount() {
    List<TokenInfo> tokens = server.client().listTokens().tokens();
    return tokens.size();
  }
}
