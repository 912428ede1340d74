package dev.keyturn.core.spi;

import dev.keyturn.core.KeyturnException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which tokens a revocation takes with it, for every {@link TokenStore}: a token and every token it
 * made, directly or through others (following {@link TokenRecord#effectiveCreator}), unless that
 * would leave no valid token holding {@code admin:*}.
 */
public final class TokenLineage {
  private TokenLineage() {}

  /**
   * The ids of token {@code id} and of its descendants among {@code all}, {@code id} first; empty
   * when {@code id} is not among them.
   */
  public static List<String> of(List<TokenRecord> all, String id) {
    Map<String, List<String>> children = new HashMap<>();
    boolean known = false;
    for (TokenRecord t : all) {
      known |= t.id().equals(id);
      t.effectiveCreator()
          .ifPresent(c -> children.computeIfAbsent(c, k -> new ArrayList<>()).add(t.id()));
    }
    if (!known) {
      return List.of();
    }
    Set<String> out = new LinkedHashSet<>();
    List<String> queue = new ArrayList<>(List.of(id));
    for (int i = 0; i < queue.size(); i++) {
      if (out.add(queue.get(i))) {
        queue.addAll(children.getOrDefault(queue.get(i), List.of()));
      }
    }
    return List.copyOf(out);
  }

  /**
   * The ids to revoke at {@code at} when token {@code id} is revoked, as {@link #of}.
   *
   * @throws KeyturnException.Conflict if a valid token holding {@code admin:*} is among them and
   *     none would remain outside them
   */
  public static List<String> toRevoke(List<TokenRecord> all, String id, Instant at) {
    List<String> ids = of(all, id);
    Set<String> going = Set.copyOf(ids);
    boolean losesAdmin = false;
    boolean keepsAdmin = false;
    for (TokenRecord t : all) {
      if (t.validAt(at) && t.holdsAdminAll()) {
        if (going.contains(t.id())) {
          losesAdmin = true;
        } else {
          keepsAdmin = true;
        }
      }
    }
    if (losesAdmin && !keepsAdmin) {
      throw new KeyturnException.Conflict(
          "revoking token "
              + id
              + (ids.size() > 1 ? " and the " + (ids.size() - 1) + " tokens it made" : "")
              + " would leave no valid admin:* token; first make one that outlives it with"
              + " 'keyturn token create --orphan --allow admin:*'");
    }
    return ids;
  }
}
