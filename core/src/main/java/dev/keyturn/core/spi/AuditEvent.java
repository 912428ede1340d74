package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * One audit record before it is chained: who ({@code tokenId}, {@code client} address), what
 * ({@code action}, {@code secret}, {@code version}), and the {@code result} ({@code ok} or an error
 * code), with a short {@code detail} such as {@code current->previous}. Never a value, never a
 * token: the type has no field that could hold one, and callers put only names, numbers and codes
 * in the strings.
 *
 * @param tokenId the caller's token id, or {@code -} when the caller was not identified
 */
public record AuditEvent(
    Instant time,
    String tokenId,
    String client,
    String action,
    Optional<String> secret,
    Optional<Integer> version,
    String result,
    String detail) {

  public AuditEvent {
    requireNonNull(time, "time");
    requireNonNull(tokenId, "tokenId");
    requireNonNull(client, "client");
    requireNonNull(action, "action");
    requireNonNull(secret, "secret");
    requireNonNull(version, "version");
    requireNonNull(result, "result");
    requireNonNull(detail, "detail");
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
        detail);
  }
}
