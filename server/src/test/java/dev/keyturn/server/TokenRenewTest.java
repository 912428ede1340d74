package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.api.TokenInfo;
import dev.keyturn.api.TokenRenewed;
import dev.keyturn.client.KeyturnUnauthorizedException;
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
 * {@code POST /v1/tokens/self/renew} through the real server, with a fixed clock: the calling token
 * and only it, by its original lifetime, never past its creator, audited (issue 18 item 1).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenRenewTest {
  private static final Instant T0 = Instant.parse("2027-03-01T08:00:00Z");
  @TempDir static Path dir;
  private final FixedClock clock = new FixedClock(T0);
  private RunningServer server;

  @BeforeAll
  void start() {
    server =
        RunningServer.start(RunningServer.config(dir.resolve("data"), Optional.empty()), clock);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void renew_extendsTheCallerByItsOriginalLifetime_keptAfterAReRead() {
    clock.set(T0);
    TokenCreated agent = server.client().createToken(request("read:renew/a/*", "3h"));
    clock.advance(Duration.ofHours(2));

    TokenRenewed first = server.client(agent.token()).renewToken();
    clock.advance(Duration.ofHours(2));
    TokenRenewed second = server.client(agent.token()).renewToken();

    assertThat(first.expiresAt()).isEqualTo("2027-03-01T13:00:00Z");
    assertThat(second.expiresAt()).isEqualTo("2027-03-01T15:00:00Z");
    assertThat(second.lifetimeSeconds()).isEqualTo(3 * 3600);
    assertThat(second.capped()).isFalse();
    assertThat(stored(agent.id()).expiresAt()).isEqualTo("2027-03-01T15:00:00Z");
    clock.advance(Duration.ofHours(2)); // past the first expiry (11:00) and the second (13:00)
    assertThat(server.client(agent.token()).whoami().tokenId()).isEqualTo(agent.id());
    List<AuditRecordInfo> audited = audit(agent.id());
    assertThat(audited).hasSize(2);
    assertThat(audited.get(1).detail()).contains("renewed " + agent.id() + " until 2027-03-01T15");
    assertThat(audited.get(1).result()).isEqualTo("ok");
    assertThat(audited).noneMatch(r -> r.detail().contains(agent.token()));
  }

  @Test
  void renew_neverPassesTheCreatorsExpiry() {
    clock.set(T0);
    TokenCreated parent = server.client().createToken(request("admin:renew/b/*", "5h"));
    TokenCreated child = server.client(parent.token()).createToken(request("read:renew/b/*", "4h"));
    clock.advance(Duration.ofMinutes(210));

    TokenRenewed renewed = server.client(child.token()).renewToken();

    assertThat(renewed.expiresAt()).isEqualTo("2027-03-01T13:00:00Z");
    assertThat(renewed.capped()).isTrue();
    assertThat(stored(child.id()).expiresAt()).isEqualTo("2027-03-01T13:00:00Z");
    clock.advance(Duration.ofMinutes(90).plusSeconds(1));
    assertThatThrownBy(() -> server.client(child.token()).whoami())
        .isInstanceOf(KeyturnUnauthorizedException.class);
  }

  @Test
  void renew_cannotTouchAnotherToken_whateverTheBodySays() {
    clock.set(T0);
    TokenCreated mine = server.client().createToken(request("read:renew/c/*", "1h"));
    TokenCreated other = server.client().createToken(request("read:renew/d/*", "1h"));
    clock.advance(Duration.ofMinutes(30));
    String before = stored(other.id()).expiresAt();

    for (String body :
        List.of(
            "{\"token_id\":\"" + other.id() + "\"}",
            "{\"id\":\"" + other.id() + "\"}",
            "{\"token\":\"" + other.token() + "\"}")) {
      server.raw(
          "POST", "/v1/tokens/self/renew", mine.token(), body.getBytes(StandardCharsets.UTF_8));
    }
    RunningServer.Raw viaPath =
        server.raw("POST", "/v1/tokens/" + other.id() + "/renew", mine.token(), new byte[0]);

    assertThat(viaPath.status()).isIn(401, 403, 404, 405);
    assertThat(stored(other.id()).expiresAt()).isEqualTo(before);
  }

  @Test
  void renew_revokedOrExpiredToken_is401AndChangesNothing() {
    clock.set(T0);
    TokenCreated revoked = server.client().createToken(request("read:renew/e/*", "1h"));
    TokenCreated expired = server.client().createToken(request("read:renew/f/*", "1h"));
    server.client().revokeToken(revoked.id());
    clock.advance(Duration.ofMinutes(61));

    RunningServer.Raw r1 =
        server.raw("POST", "/v1/tokens/self/renew", revoked.token(), new byte[0]);
    RunningServer.Raw r2 =
        server.raw("POST", "/v1/tokens/self/renew", expired.token(), new byte[0]);

    assertThat(r1.status()).isEqualTo(401);
    assertThat(r2.status()).isEqualTo(401);
    assertThat(stored(revoked.id()).expiresAt()).isEqualTo("2027-03-01T09:00:00Z");
    assertThat(stored(expired.id()).expiresAt()).isEqualTo("2027-03-01T09:00:00Z");
  }

  @Test
  void renew_tokenWithoutExpiry_is409DoesNotExpire() {
    clock.set(T0);

    RunningServer.Raw r =
        server.raw("POST", "/v1/tokens/self/renew", server.rootToken(), new byte[0]);

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.body()).contains("does not expire");
  }

  private static TokenCreateRequest request(String grant, String ttl) {
    return new TokenCreateRequest("agent", List.of(grant), ttl);
  }

  private TokenInfo stored(String id) {
    return server.client().listTokens().tokens().stream()
        .filter(t -> t.id().equals(id))
        .findFirst()
        .orElseThrow();
  }

  private List<AuditRecordInfo> audit(String tokenId) {
    return server
        .client()
        .audit(Optional.empty(), Optional.empty(), Optional.of("token.renew"), Optional.of(1000))
        .records()
        .stream()
        .filter(r -> tokenId.equals(r.tokenId()))
        .toList();
  }
}
