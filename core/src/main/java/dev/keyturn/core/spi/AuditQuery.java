package dev.keyturn.core.spi;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Which audit records to return: all filters optional, newest last, at most {@code limit}.
 *
 * @param outcome only records with this kind of result
 * @param tokenId only records of requests made with this token id
 * @param within when not empty, only records of a secret matched by one of these grant patterns
 *     ({@code *} matches any characters, {@code /} included); records of no secret are left out.
 *     Empty: no such restriction
 */
public record AuditQuery(
    Optional<Instant> since,
    Optional<String> secret,
    Optional<String> action,
    Optional<Long> afterSeq,
    int limit,
    Optional<Outcome> outcome,
    Optional<String> tokenId,
    List<String> within) {

  public AuditQuery {
    java.util.Objects.requireNonNull(outcome, "outcome");
    java.util.Objects.requireNonNull(tokenId, "tokenId");
    within = List.copyOf(within);
  }

  /** A query of every token's records, on every secret. */
  public AuditQuery(
      Optional<Instant> since,
      Optional<String> secret,
      Optional<String> action,
      Optional<Long> afterSeq,
      int limit,
      Optional<Outcome> outcome) {
    this(since, secret, action, afterSeq, limit, outcome, Optional.empty(), List.of());
  }

  /** A query on every outcome. */
  public AuditQuery(
      Optional<Instant> since,
      Optional<String> secret,
      Optional<String> action,
      Optional<Long> afterSeq,
      int limit) {
    this(since, secret, action, afterSeq, limit, Optional.empty());
  }

  /**
   * The kinds of result a record has: {@code ok}; {@code denied}, a request refused for its
   * credentials ({@link #DENIED_RESULTS}: no or a bad token, a missing capability, throttled
   * authentication); {@code failed}, every other result (an error code, or {@code failed} for work
   * the server did on its own).
   */
  public enum Outcome {
    OK,
    DENIED,
    FAILED;

    /** The results that count as denied. */
    public static final Set<String> DENIED_RESULTS =
        Set.of("unauthenticated", "forbidden", "too_many_requests", "denied");

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws dev.keyturn.core.KeyturnException.InvalidInput for another name
     */
    public static Outcome fromWire(String name) {
      for (Outcome o : values()) {
        if (o.wireName().equals(name)) {
          return o;
        }
      }
      throw new dev.keyturn.core.KeyturnException.InvalidInput("result is ok, denied or failed");
    }

    /** Whether a record whose result is {@code result} has this outcome. */
    public boolean matches(String result) {
      return switch (this) {
        case OK -> result.equals("ok");
        case DENIED -> DENIED_RESULTS.contains(result);
        case FAILED -> !result.equals("ok") && !DENIED_RESULTS.contains(result);
      };
    }
  }
}
