package dev.keyturn.core.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Tokens, stored by the SHA-256 of the token (never the token). Thread-safe. */
public interface TokenStore {
  void create(TokenRecord token);

  /** The token whose SHA-256 is {@code hash}, whether or not it is still valid. */
  Optional<TokenRecord> findByHash(byte[] hash);

  /** Every token, valid or not, oldest first. */
  List<TokenRecord> list();

  /**
   * Marks token {@code id} revoked at {@code at}; a revoked token stays revoked.
   *
   * @return the token after the call, or empty if there is no such token
   */
  Optional<TokenRecord> revoke(String id, Instant at);

  long count();
}
