package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Caller;
import dev.keyturn.core.Grant;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Tokens;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.core.spi.TokenStore;
import java.time.Clock;
import java.util.Optional;

/**
 * Turns an {@code Authorization: Bearer} header into a {@link Caller}. The token is hashed once
 * (SHA-256) and looked up by its hash, so the lookup reveals nothing about the token and the store
 * never sees it. Thread-safe.
 */
final class Authenticator {
  private static final String BEARER = "Bearer ";

  private final TokenStore tokens;
  private final Clock clock;

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
            new KeyturnException.Unauthenticated("a token is required (Authorization: Bearer)"));
    if (!header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw new KeyturnException.Unauthenticated("the Authorization header must be 'Bearer TOKEN'");
    }
    String token = header.substring(BEARER.length()).strip();
    if (token.isEmpty() || token.length() > 256) {
      throw new KeyturnException.Unauthenticated("the token is malformed");
    }
    TokenRecord record =
        tokens
            .findByHash(Tokens.hash(token))
            .orElseThrow(() -> new KeyturnException.Unauthenticated("the token is not valid"));
    if (!record.validAt(clock.instant())) {
      throw new KeyturnException.Unauthenticated(
          "token "
              + record.id()
              + (record.revokedAt().isPresent() ? " is revoked" : " has expired"));
    }
    return new Caller(
        record.id(),
        record.name(),
        record.grants().stream().map(Grant::parse).toList(),
        record.expiresAt());
  }
}
