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

  /**
   * Whether a grant is {@code admin:*}: the operator's own token or one it made as powerful. Rules
   * such a caller sets are not limited by the outbound policy (docs/security.md).
   */
  public boolean holdsAdminOnEverything() {
    return grants.stream()
        .anyMatch(g -> g.capability() == Capability.ADMIN && g.glob().equals("*"));
  }

  public boolean can(Capability capability, String secretName) {
    for (Grant grant : grants) {
      if (grant.allows(capability, secretName)) {
        return true;
      }
    }
    return false;
  }

  /**
   * True if some grant could allow {@code capability} on a name starting with {@code prefix}: its
   * glob and the prefix agree up to the glob's first {@code *}.
   */
  public boolean mayHaveUnder(Capability capability, String prefix) {
    for (Grant grant : grants) {
      if (grant.capability() != capability && grant.capability() != Capability.ADMIN) {
        continue;
      }
      int star = grant.glob().indexOf('*');
      String fixed = star < 0 ? grant.glob() : grant.glob().substring(0, star);
      if (fixed.startsWith(prefix) || prefix.startsWith(fixed)) {
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
