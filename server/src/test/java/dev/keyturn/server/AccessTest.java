package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.client.KeyturnInvalidRequestException;
import dev.keyturn.testing.FixedClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access rules beyond the route table's generated cases ({@link RouteAccessTest}): retired
 * versions, roll-backs, token delegation, expiry and revocation.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessTest {
  @TempDir static Path dir;
  private final FixedClock clock = new FixedClock(Instant.parse("2026-11-22T00:00:00Z"));
  private RunningServer server;

  @BeforeAll
  void start() {
    server =
        RunningServer.start(RunningServer.config(dir.resolve("data"), Optional.empty()), clock);
    var root = server.client();
    root.put("acl/app/KEY", new PutSecretRequest("v1", null, null, null, null));
    root.put("acl/app/KEY", new PutSecretRequest("v2", null, null, "24h", null));
    root.put("acl/app/KEY", new PutSecretRequest("v3", null, null, null, "pending"));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void retiredVersionByNumber_needsAdmin() {
    server.client().put("acl/ret/KEY", new PutSecretRequest("a", null, null, null, null));
    server.client().put("acl/ret/KEY", new PutSecretRequest("b", null, null, null, null));
    String reader = server.token("read:acl/ret/*");
    String admin = server.token("admin:acl/ret/*");

    assertThat(server.raw("GET", "/v1/secrets/acl/ret/KEY?version=1", reader, null).status())
        .isEqualTo(403);
    assertThat(server.raw("GET", "/v1/secrets/acl/ret/KEY?version=1", admin, null).status())
        .isEqualTo(200);
  }

  @Test
  void previousToCurrent_needsAdmin() {
    server.client().put("acl/roll/KEY", new PutSecretRequest("a", null, null, null, null));
    server.client().put("acl/roll/KEY", new PutSecretRequest("b", null, null, "1h", null));
    byte[] body = "{\"version\":1,\"stage\":\"current\"}".getBytes(StandardCharsets.UTF_8);

    assertThat(
            server
                .raw("POST", "/v1/stages/acl/roll/KEY", server.token("write:acl/roll/*"), body)
                .status())
        .isEqualTo(403);
    assertThat(
            server
                .raw("POST", "/v1/stages/acl/roll/KEY", server.token("admin:acl/roll/*"), body)
                .status())
        .isEqualTo(200);
  }

  @Test
  void tokenAndAuditRoutes_needAdminStar() {
    String scopedAdmin = server.token("admin:acl/*");
    String root = server.rootToken();
    String tokenId = server.client().whoami().tokenId();

    for (String path : List.of("/v1/tokens", "/v1/audit/verify", "/v1/audit/head")) {
      assertThat(server.raw("GET", path, scopedAdmin, null).status()).as(path).isEqualTo(403);
      assertThat(server.raw("GET", path, root, null).status()).as(path).isEqualTo(200);
    }
    // The audit list answers a scoped admin with its own secrets' records only (ScopedAuditTest).
    RunningServer.Raw scopedAudit = server.raw("GET", "/v1/audit", scopedAdmin, null);
    assertThat(scopedAudit.status()).isEqualTo(200);
    assertThat(scopedAudit.body()).doesNotContain("token.create");
    RunningServer.Raw readerAudit = server.raw("GET", "/v1/audit", server.token("read:*"), null);
    assertThat(readerAudit.status()).isEqualTo(200);
    assertThat(readerAudit.body()).doesNotContain("\"action\"");
    assertThat(server.raw("DELETE", "/v1/tokens/tok_0000000000000000", scopedAdmin, null).status())
        .isEqualTo(403);
    assertThat(server.raw("DELETE", "/v1/tokens/tok_0000000000000000", root, null).status())
        .isEqualTo(404);
    assertThat(tokenId).isEqualTo("root");
  }

  @Test
  void whoami_needsOnlyAValidToken() {
    String token = server.token("read:acl/nothing");

    var who = server.client(token).whoami();

    assertThat(who.grants()).containsExactly("read:acl/nothing");
    assertThat(who.expiresAt()).isNotNull();
  }

  @Test
  void tokenCreation_needsAnAdminGrantCoveringEveryNewGrant() {
    var delegate = server.client(server.token("admin:acl/app/*"));
    var reader = server.client(server.token("read:*"));

    var ok =
        delegate.createToken(
            new TokenCreateRequest("ci", List.of("read:acl/app/prod/*", "write:acl/app/x"), "1h"));

    assertThat(ok.grants()).containsExactly("read:acl/app/prod/*", "write:acl/app/x");
    assertThat(ok.token()).startsWith("kt_");
    assertThatThrownBy(() ->
            delegate.createToken(new TokenCreateRequest(null, List.of("read:acl/other/*"), null)))
        .isInstanceOf(KeyturnForbiddenException.class)
        .hasMessageContaining("cannot grant read:acl/other/*");
    assertThatThrownBy(
            () -> delegate.createToken(new TokenCreateRequest(null, List.of("admin:*"), null)))
        .isInstanceOf(KeyturnForbiddenException.class);
    assertThatThrownBy(
            () -> delegate.createToken(new TokenCreateRequest(null, List.of("read:acl/*"), null)))
        .isInstanceOf(KeyturnForbiddenException.class);
    assertThatThrownBy(
            () -> reader.createToken(new TokenCreateRequest(null, List.of("read:acl/app/x"), null)))
        .isInstanceOf(KeyturnForbiddenException.class)
        .hasMessageContaining("no admin grant");
    assertThatThrownBy(() ->
            delegate.createToken(new TokenCreateRequest(null, List.of("fly:acl/app/x"), null)))
        .isInstanceOf(KeyturnInvalidRequestException.class);
    assertThatThrownBy(() -> delegate.createToken(new TokenCreateRequest(null, List.of(), null)))
        .isInstanceOf(KeyturnInvalidRequestException.class);
  }

  @Test
  void tokens_expireAndNeverOutliveTheirCreator() {
    var parent =
        server
            .client()
            .createToken(new TokenCreateRequest("parent", List.of("admin:acl/exp/*"), "1h"));
    var child =
        server
            .client(parent.token())
            .createToken(new TokenCreateRequest("child", List.of("read:acl/exp/*"), "30d"));
    var defaultTtl =
        server.client().createToken(new TokenCreateRequest("d", List.of("read:acl/exp/*"), null));

    assertThat(Instant.parse(child.expiresAt())).isEqualTo(Instant.parse(parent.expiresAt()));
    assertThat(
            Duration.between(
                Instant.parse(defaultTtl.createdAt()), Instant.parse(defaultTtl.expiresAt())))
        .isEqualTo(Duration.ofDays(30));
    assertThat(server.raw("GET", "/v1/whoami", child.token(), null).status()).isEqualTo(200);

    clock.advance(Duration.ofHours(1).plusSeconds(Authenticator.CACHE_TTL.toSeconds() + 1));

    RunningServer.Raw expired = server.raw("GET", "/v1/whoami", child.token(), null);
    assertThat(expired.status()).isEqualTo(401);
    assertThat(expired.body()).contains("has expired");
    assertThat(server.raw("GET", "/v1/whoami", defaultTtl.token(), null).status()).isEqualTo(200);
  }

  @Test
  void revokedToken_is401AtOnce() {
    var created =
        server.client().createToken(new TokenCreateRequest("doomed", List.of("read:acl/*"), null));
    assertThat(server.raw("GET", "/v1/secrets/acl/app/KEY", created.token(), null).status())
        .isEqualTo(200);

    var revoked = server.client().revokeToken(created.id());

    RunningServer.Raw after = server.raw("GET", "/v1/secrets/acl/app/KEY", created.token(), null);
    assertThat(revoked.revokedAt()).isNotNull();
    assertThat(revoked.valid()).isFalse();
    assertThat(after.status()).isEqualTo(401);
    assertThat(after.body()).contains("is revoked");
    assertThat(server.client().listTokens().tokens())
        .filteredOn(t -> t.id().equals(created.id()))
        .singleElement()
        .satisfies(t -> assertThat(t.valid()).isFalse());
  }

  @Test
  void tokenList_neverShowsTokens() {
    String token = server.token("read:acl/*");

    RunningServer.Raw list = server.raw("GET", "/v1/tokens", server.rootToken(), null);

    assertThat(list.body())
        .doesNotContain(token)
        .doesNotContain(server.rootToken())
        .contains("\"id\":\"root\"");
  }
}
