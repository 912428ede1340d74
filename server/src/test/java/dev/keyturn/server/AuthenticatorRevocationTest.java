package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Tokens;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.core.spi.TokenStore;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A revocation on this node must win over a token lookup that was in flight when it happened. */
class AuthenticatorRevocationTest {
  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
  private static final String TOKEN = "kt_revocation-race-token";

  /** One token; its first lookup waits until the test lets it answer (what it read before). */
  private static final class SlowTokens implements TokenStore {
    final CountDownLatch lookingUp = new CountDownLatch(1);
    final CountDownLatch answer = new CountDownLatch(1);
    volatile TokenRecord stored =
        new TokenRecord(
            "tok_race",
            "race",
            Tokens.hash(TOKEN),
            List.of("read:*"),
            NOW.minusSeconds(60),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            TokenRecord.CreatorSource.RECORDED);
    private boolean first = true;

    @Override
    public Optional<TokenRecord> findByHash(byte[] hash) {
      TokenRecord read = stored;
      boolean wait;
      synchronized (this) {
        wait = first;
        first = false;
      }
      if (wait) {
        lookingUp.countDown();
        try {
          answer.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Arrays.equals(hash, read.hash()) ? Optional.of(read) : Optional.empty();
    }

    @Override
    public List<TokenRecord> revoke(String id, Instant at) {
      stored = stored.revoked(at);
      return List.of(stored);
    }

    @Override
    public void create(TokenRecord token) {
      // a store of one token: a new one takes its place
      stored = token;
    }

    @Override
    public List<TokenRecord> list() {
      return List.of(stored);
    }

    @Override
    public TokenRecord renew(String id, Instant at) {
      stored = stored.renewed(at, Optional.empty());
      return stored;
    }

    @Override
    public void resolveCreator(
        String id, Optional<String> creator, TokenRecord.CreatorSource source) {}

    @Override
    public long count() {
      return 1;
    }
  }

  @Test
  void revokeWhileALookupIsInFlight_nextRequestRefused() throws Exception {
    SlowTokens tokens = new SlowTokens();
    Authenticator auth = new Authenticator(tokens, Clock.fixed(NOW, ZoneOffset.UTC));
    Optional<String> header = Optional.of("Bearer " + TOKEN);

    CompletableFuture<String> inFlight =
        CompletableFuture.supplyAsync(() -> auth.authenticate(header).tokenId());
    assertThat(tokens.lookingUp.await(30, TimeUnit.SECONDS)).isTrue();
    // TokensApi's revoke: the store first, then this node's cache.
    tokens.revoke("tok_race", NOW).forEach(auth::forget);
    tokens.answer.countDown();
    assertThat(inFlight.get(30, TimeUnit.SECONDS)).isEqualTo("tok_race");

    assertThatThrownBy(() -> auth.authenticate(header))
        .isInstanceOf(KeyturnException.Unauthenticated.class)
        .hasMessageContaining("revoked");
  }
}
