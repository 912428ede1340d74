package dev.keyturn.core.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Tokens, stored by the SHA-256 of the token (never the token). Thread-safe. */
public interface TokenStore {
  /**
   * Stores a new token. When it has a creator, the creator is checked in the same transaction, so a
   * token cannot be made under one that a concurrent revocation (on any node) is taking away.
   *
   * @throws dev.keyturn.core.KeyturnException.Unauthenticated if its creator is unknown or not
   *     valid at the new token's creation time
   */
  void create(TokenRecord token);

  /** The token whose SHA-256 is {@code hash}, whether or not it is still valid. */
  Optional<TokenRecord> findByHash(byte[] hash);

  /** Every token, valid or not, oldest first. */
  List<TokenRecord> list();

  /**
   * Revokes token {@code id} and every token it made, directly or through others ({@link
   * TokenLineage}), at {@code at}, in one transaction that excludes every other change of tokens;
   * tokens already revoked stay as they were.
   *
   * @return those tokens as stored after the call, {@code id} first; empty if there is no such
   *     token
   * @throws dev.keyturn.core.KeyturnException.Conflict if that would leave no valid token holding
   *     {@code admin:*}; nothing is changed then
   */
  List<TokenRecord> revoke(String id, Instant at);

  /**
   * Records the creator of token {@code id} when its creator is {@link
   * TokenRecord.CreatorSource#UNRESOLVED}; does nothing otherwise, so nodes doing it at once agree.
   */
  void resolveCreator(String id, Optional<String> creator, TokenRecord.CreatorSource source);

  /**
   * Renews token {@code id} at {@code at} ({@link TokenRecord#renewed}), capped by its creator's
   * expiry as stored now, in one transaction that excludes revocations.
   *
   * @return the token as stored after the call
   * @throws dev.keyturn.core.KeyturnException.NotFound if there is no such token
   * @throws dev.keyturn.core.KeyturnException.Unauthenticated if it, or its creator, is not valid
   *     at {@code at}
   * @throws dev.keyturn.core.KeyturnException.Conflict if it does not expire
   */
  TokenRecord renew(String id, Instant at);

  long count();
}
