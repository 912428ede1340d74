package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A token as stored: a public id, the SHA-256 of the token, its grants ({@code capability:glob})
 * and lifetime. The token itself is never stored.
 */
public record TokenRecord(
    String id,
    String name,
    byte[] hash,
    List<String> grants,
    Instant createdAt,
    Optional<Instant> expiresAt,
    Optional<Instant> revokedAt) {

  public TokenRecord {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(hash, "hash");
    grants = List.copyOf(grants);
    requireNonNull(createdAt, "createdAt");
    requireNonNull(expiresAt, "expiresAt");
    requireNonNull(revokedAt, "revokedAt");
  }

  /** True if the token may be used at {@code now}: not revoked and not expired. */
  public boolean validAt(Instant now) {
    return revokedAt.isEmpty() && expiresAt.map(now::isBefore).orElse(true);
  }
}
