package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An authenticated caller: the token's public id and name, its grants and expiry. Never the token.
 */
public record Caller(String tokenId, String name, List<Grant> grants, Optional<Instant> expiresAt) {
  public Caller {
    requireNonNull(tokenId, "tokenId");
    requireNonNull(name, "name");
    grants = List.copyOf(grants);
    requireNonNull(expiresAt, "expiresAt");
  }

  public boolean can(Capability capability, String secretName) {
    for (Grant grant : grants) {
      if (grant.allows(capability, secretName)) {
        return true;
      }
    }
    return false;
  }

  /** Throws {@link KeyturnException.Forbidden} unless {@link #can}. */
  public void require(Capability capability, String secretName) {
    if (!can(capability, secretName)) {
      throw new KeyturnException.Forbidden(
          "token " + tokenId + " lacks " + capability.wireName() + " on " + secretName);
    }
  }
}
