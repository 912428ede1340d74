package dev.keyturn.core.spi;

import java.util.Optional;

/** Tokens, stored by the SHA-256 of the token (never the token). Thread-safe. */
public interface TokenStore {
  void create(TokenRecord token);

  /** The token whose SHA-256 is {@code hash}, whether or not it is still valid. */
  Optional<TokenRecord> findByHash(byte[] hash);

  long count();
}
