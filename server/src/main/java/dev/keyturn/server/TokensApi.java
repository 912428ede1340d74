package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.api.TokenInfo;
import dev.keyturn.api.TokenListResponse;
import dev.keyturn.api.TokenRenewed;
import dev.keyturn.core.Caller;
import dev.keyturn.core.Durations;
import dev.keyturn.core.Grant;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Tokens;
import dev.keyturn.core.spi.Store;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.core.spi.TokenStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * The token routes. Creating a token is delegation: {@link Routes} declares that the caller needs
 * an {@code admin} grant and that every grant of the new token must be covered by one of the
 * caller's (so {@code admin:app/*} may hand out {@code read:app/prod/*}, never {@code
 * read:other/*}). A new token records its creator and never outlives it; revoking a token revokes
 * every token it made. An orphan has no creator. The token itself is shown once, at creation.
 */
final class TokensApi {
  static final Duration DEFAULT_TTL = Duration.ofDays(30);
  private static final int MAX_GRANTS = 64;

  private final Store store;
  private final TokenStore tokens;
  private final Authenticator authenticator;
  private final Clock clock;
  private final SecureRandom random;

  TokensApi(Store store, Authenticator authenticator, Clock clock, SecureRandom random) {
    this.store = requireNonNull(store, "store");
    this.tokens = store.tokens();
    this.authenticator = requireNonNull(authenticator, "authenticator");
    this.clock = requireNonNull(clock, "clock");
    this.random = requireNonNull(random, "random");
  }

  /** {@code POST /v1/tokens}: a token whose creator is the caller. */
  TokenCreated create(Exchange ex) {
    return create(ex, false);
  }

  /**
   * {@code POST /v1/tokens/orphan}: a token with no creator, which outlives its maker's revocation
   * and expiry (the route needs {@code admin:*}).
   */
  TokenCreated createOrphan(Exchange ex) {
    return create(ex, true);
  }

  private TokenCreated create(Exchange ex, boolean orphan) {
    Caller caller = ex.caller;
    TokenCreateRequest request = ex.body(TokenCreateRequest.class);
    List<Grant> grants = grants(request);
    String name = request.name() == null ? "token" : request.name();
    if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw HttpError.badRequest("a token name is 1 to 64 letters, digits, '.', '_' or '-'");
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Instant expires =
        request.ttl() == null ? now.plus(DEFAULT_TTL) : Durations.after(now, request.ttl());
    if (!expires.isAfter(now)) {
      throw HttpError.badRequest("ttl must be longer than zero");
    }
    if (!orphan && caller.expiresAt().isPresent() && caller.expiresAt().get().isBefore(expires)) {
      expires = caller.expiresAt().get();
    }
    String token = Tokens.newToken(random);
    TokenRecord record =
        new TokenRecord(
            Tokens.newId(random),
            name,
            Tokens.hash(token),
            grants.stream().map(Grant::toString).toList(),
            now,
            Optional.of(expires),
            Optional.empty(),
            orphan ? Optional.empty() : Optional.of(caller.tokenId()),
            TokenRecord.CreatorSource.RECORDED);
    ex.detail =
        "created " + record.id() + (orphan ? " orphan " : " ") + String.join(" ", record.grants());
    store.inTransaction(work -> {
      work.tokens().create(record);
      work.audit().append(ex.changeRecords());
      return null;
    });
    return new TokenCreated(
        record.id(), token, name, record.grants(), now.toString(), expires.toString());
  }

  /**
   * {@code POST /v1/tokens/self/renew}: extends the calling token, and only it, by its original
   * lifetime, never past its creator's expiry; the renewal and its audit record commit together. A
   * token without expiry gets 409.
   */
  TokenRenewed renew(Exchange ex) {
    String id = ex.caller.tokenId();
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    TokenRecord renewed =
        store.inTransaction(work -> {
          TokenRecord r = work.tokens().renew(id, now);
          ex.detail = "renewed " + id + " until " + r.expiresAt().orElseThrow();
          work.audit().append(ex.changeRecords());
          return r;
        });
    authenticator.forget(renewed);
    Duration lifetime = renewed.originalLifetime().orElseThrow();
    Instant expires = renewed.expiresAt().orElseThrow();
    return new TokenRenewed(
        id, expires.toString(), lifetime.toSeconds(), expires.isBefore(now.plus(lifetime)));
  }

  TokenListResponse list(Exchange ex) {
    Instant now = clock.instant();
    return new TokenListResponse(tokens.list().stream().map(t -> info(t, now, List.of())).toList());
  }

  /**
   * {@code DELETE /v1/tokens/{id}}: revokes the token and every token it made, and drops them from
   * this node's cache at once (other nodes within {@link Authenticator#CACHE_TTL}).
   */
  TokenInfo revoke(Exchange ex) {
    String id = ex.pathTail();
    if (!id.matches("[A-Za-z0-9_]{1,64}")) {
      throw HttpError.badRequest("invalid token id");
    }
    Instant now = clock.instant();
    // The revocation (with its cascade) and its record commit together.
    List<TokenRecord> revoked =
        store.inTransaction(work -> {
          List<TokenRecord> all = work.tokens().revoke(id, now);
          if (all.isEmpty()) {
            throw new KeyturnException.NotFound("token " + id + " does not exist");
          }
          List<String> descendants = all.stream().skip(1).map(TokenRecord::id).toList();
          ex.detail =
              "revoked "
                  + id
                  + (descendants.isEmpty() ? "" : " with " + String.join(" ", descendants));
          work.audit().append(ex.changeRecords());
          return all;
        });
    revoked.forEach(authenticator::forget);
    List<String> descendants = revoked.stream().skip(1).map(TokenRecord::id).toList();
    return info(revoked.get(0), now, descendants);
  }

  /** The grants a creation request asks for, each checked (a 400 for a bad one). */
  static List<Grant> grants(TokenCreateRequest request) {
    if (request.grants() == null || request.grants().isEmpty()) {
      throw HttpError.badRequest("a token needs at least one grant, e.g. read:app/production/*");
    }
    if (request.grants().size() > MAX_GRANTS) {
      throw HttpError.badRequest("a token may have at most " + MAX_GRANTS + " grants");
    }
    return request.grants().stream().map(TokensApi::grant).toList();
  }

  private static Grant grant(String text) {
    if (text == null) {
      throw HttpError.badRequest("a grant is capability:pattern, e.g. read:app/production/*");
    }
    return Grant.parse(text);
  }

  private static TokenInfo info(TokenRecord t, Instant now, List<String> revokedWith) {
    return new TokenInfo(
        t.id(),
        t.name(),
        t.grants(),
        t.createdAt().toString(),
        t.expiresAt().map(Instant::toString).orElse(null),
        t.revokedAt().map(Instant::toString).orElse(null),
        t.validAt(now),
        t.effectiveCreator().orElse(null),
        t.creatorInferred(),
        revokedWith);
  }
}
