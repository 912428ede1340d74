package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One audit record before it is chained: who ({@code tokenId}, {@code client} address), what
 * ({@code action}, {@code secret}, {@code version}), and the {@code result} ({@code ok} or an error
 * code), with a short {@code detail} such as {@code current->previous}. Never a value, never a
 * token: the type has no field that could hold one, and callers put only names, numbers and codes
 * in the strings.
 *
 * <p>{@code generations} carries the new generation of every protected object (a secret with its
 * versions, a token, a rule: see {@code dev.keyturn.core.integrity.Generations}) that the change
 * this record describes wrote; the store fills it in when it seals a unit of work's records, and
 * the audit chain seals it with the rest (chain format v2), so a replayed older row can be told
 * from the current one.
 *
 * @param tokenId the caller's token id, or {@code -} when the caller was not identified
 * @param generations object key to its new generation, in key order; empty for most records
 */
public record AuditEvent(
    Instant time,
    String tokenId,
    String client,
    String action,
    Optional<String> secret,
    Optional<Integer> version,
    String result,
    String detail,
    Map<String, Long> generations) {

  /** An event that records no object generations. */
  public AuditEvent(
      Instant time,
      String tokenId,
      String client,
      String action,
      Optional<String> secret,
      Optional<Integer> version,
      String result,
      String detail) {
    this(time, tokenId, client, action, secret, version, result, detail, Map.of());
  }

  public AuditEvent {
    requireNonNull(time, "time");
    requireNonNull(tokenId, "tokenId");
    requireNonNull(client, "client");
    requireNonNull(action, "action");
    requireNonNull(secret, "secret");
    requireNonNull(version, "version");
    requireNonNull(result, "result");
    requireNonNull(detail, "detail");
    generations = Collections.unmodifiableSortedMap(new TreeMap<>(generations));
  }

  /** This event carrying {@code generations} as well as those it had. */
  public AuditEvent withGenerations(Map<String, Long> more) {
    Map<String, Long> all = new TreeMap<>(generations);
    all.putAll(more);
    return new AuditEvent(time, tokenId, client, action, secret, version, result, detail, all);
  }

  /** This event with its time in whole milliseconds, as stores keep and seal it. */
  public AuditEvent truncatedToMillis() {
    return new AuditEvent(
        time.truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
        tokenId,
        client,
        action,
        secret,
        version,
        result,
        detail,
        generations);
  }
}
