package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Caller;
import dev.keyturn.core.Grant;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Tokens;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.core.spi.TokenStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns an {@code Authorization: Bearer} header into a {@link Caller}. The token is hashed once
 * (SHA-256) and looked up by its hash, so the lookup time depends on the hash, not on how much of a
 * real token a guess shares, and the store never sees a token. Known tokens are cached for a short
 * time ({@link #CACHE_TTL}); a revocation on this node takes effect at once, on other nodes sharing
 * the store within that time. Unknown tokens are never cached. Thread-safe.
 */
final class Authenticator {
  static final Duration CACHE_TTL = Duration.ofSeconds(2);
  private static final int CACHE_LIMIT = 10_000;
  private static final String BEARER = "Bearer ";

  private final TokenStore tokens;
  private final Clock clock;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  // Bumped by every forget: a lookup that was in flight during one does not cache what it read,
  // which may predate the revocation.
  private final AtomicLong forgets = new AtomicLong();

  Authenticator(TokenStore tokens, Clock clock) {
    this.tokens = requireNonNull(tokens, "tokens");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * @throws KeyturnException.Unauthenticated if the header is missing or malformed, or the token is
   *     unknown, expired or revoked
   */
  Caller authenticate(Optional<String> authorization) {
    String header =
        authorization.orElseThrow(() ->
            new KeyturnException.Unauthenticated(
                "a token is required (Authorization: Bearer TOKEN)"));
    if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw new KeyturnException.Unauthenticated("the Authorization header must be 'Bearer TOKEN'");
    }
    String token = header.substring(BEARER.length()).strip();
    if (token.isEmpty() || token.length() > 256) {
      throw new KeyturnException.Unauthenticated("the token is malformed");
    }
    return authenticateHash(Tokens.hash(token));
  }

  /**
   * The caller whose token hashes to {@code hash}: for the dashboard, whose sessions keep the hash
   * of the token they were opened with, never the token.
   *
   * @throws KeyturnException.Unauthenticated if no valid token has this hash (unknown, expired or
   *     revoked)
   */
  Caller authenticateHash(byte[] hash) {
    String key = HexFormat.of().formatHex(hash);
    Instant now = clock.instant();
    Cached cached = cache.get(key);
    TokenRecord record;
    if (cached != null && cached.loadedAt.plus(CACHE_TTL).isAfter(now)) {
      record = cached.record;
    } else {
      long forgotten = forgets.get();
      record =
          tokens
              .findByHash(HexFormat.of().parseHex(key))
              .orElseThrow(() -> new KeyturnException.Unauthenticated("the token is not valid"));
      if (cache.size() >= CACHE_LIMIT) {
        cache.clear();
      }
      Cached loaded = new Cached(record, now);
      // Checked under the key's lock: a forget's remove, which follows its bump, comes after this.
      cache.compute(key, (k, old) -> forgets.get() == forgotten ? loaded : old);
    }
    if (!record.validAt(now)) {
      throw new KeyturnException.Unauthenticated(
          "token "
              + record.id()
              + (record.revokedAt().isPresent() ? " is revoked" : " has expired"));
    }
    return new Caller(
        record.id(),
        record.name(),
        record.grants().stream().map(Grant::ofStored).toList(),
        record.expiresAt());
  }

  /** Drops {@code token} from the cache, so that its revocation applies to the next request. */
  void forget(TokenRecord token) {
    forgets.incrementAndGet();
    cache.remove(HexFormat.of().formatHex(token.hash()));
  }

  private record Cached(TokenRecord record, Instant loadedAt) {}
}
