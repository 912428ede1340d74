package dev.keyturn.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * A rotation rule on the wire ({@code PUT/GET /v1/rules/{name}}). {@code every} is a period ({@code
 * 90d}, {@code 3mo}, {@code 1y}) counted in {@code timezone}; {@code target} holds {@code type} and
 * its settings (for {@code command}: {@code set-command}, {@code test-command}, {@code timeout}).
 * Instead of {@code every}, {@code cron} takes five cron fields; {@code window} ({@code Sun
 * 02:00-04:00}) limits when rotations start. Durations are strings such as {@code 24h}. {@code
 * hooks} are maps with {@code phase} ({@code after-set}, {@code after-finish}, {@code on-failure}),
 * {@code type} ({@code command}, {@code http}, {@code sql}), {@code check} ({@code true} to fail
 * the step when the hook fails) and the type's settings. {@code last_rotated} (an RFC 3339 time or
 * a date, {@code 2026-08-01}) records when a secret adopted from a runbook was last rotated by
 * hand; {@code catch_up} rotates a rule that is overdue when set at once rather than in its next
 * window. {@code jwks} is {@code public} for a key-pair secret whose public keys {@code GET
 * /v1/jwks/{name}} serves, else {@code none} (left out of answers then, so that a client that
 * refuses unknown fields reads rules as before). {@code propagation} is a duration, or {@code
 * consumers:D} to wait at most D until every live consumer accepts the new value; {@code
 * consumer_deadline} is how long past its grace window a version that a live consumer still uses is
 * kept (default one more grace; left out when not set). Absent fields take defaults.
 */
public record RuleBody(
    String generate,
    String every,
    String timezone,
    String grace,
    String strategy,
    String propagation,
    Map<String, String> target,
    String owner,
    String purpose,
    String impact,
    Integer attempts,
    String backoff,
    List<Map<String, String>> hooks,
    String cron,
    String window,
    String lastRotated,
    Boolean catchUp,
    @JsonInclude(JsonInclude.Include.NON_NULL) String jwks,
    @JsonInclude(JsonInclude.Include.NON_NULL) String consumerDeadline) {

  /** A rule whose consumer deadline is the default (one more grace). */
  public RuleBody(
      String generate,
      String every,
      String timezone,
      String grace,
      String strategy,
      String propagation,
      Map<String, String> target,
      String owner,
      String purpose,
      String impact,
      Integer attempts,
      String backoff,
      List<Map<String, String>> hooks,
      String cron,
      String window,
      String lastRotated,
      Boolean catchUp,
      String jwks) {
    this(
        generate,
        every,
        timezone,
        grace,
        strategy,
        propagation,
        target,
        owner,
        purpose,
        impact,
        attempts,
        backoff,
        hooks,
        cron,
        window,
        lastRotated,
        catchUp,
        jwks,
        null);
  }

  /** A rule without {@code jwks}. */
  public RuleBody(
      String generate,
      String every,
      String timezone,
      String grace,
      String strategy,
      String propagation,
      Map<String, String> target,
      String owner,
      String purpose,
      String impact,
      Integer attempts,
      String backoff,
      List<Map<String, String>> hooks,
      String cron,
      String window,
      String lastRotated,
      Boolean catchUp) {
    this(
        generate,
        every,
        timezone,
        grace,
        strategy,
        propagation,
        target,
        owner,
        purpose,
        impact,
        attempts,
        backoff,
        hooks,
        cron,
        window,
        lastRotated,
        catchUp,
        null,
        null);
  }

  /** A rule without {@code last_rotated} and {@code catch_up}. */
  public RuleBody(
      String generate,
      String every,
      String timezone,
      String grace,
      String strategy,
      String propagation,
      Map<String, String> target,
      String owner,
      String purpose,
      String impact,
      Integer attempts,
      String backoff,
      List<Map<String, String>> hooks,
      String cron,
      String window) {
    this(
        generate,
        every,
        timezone,
        grace,
        strategy,
        propagation,
        target,
        owner,
        purpose,
        impact,
        attempts,
        backoff,
        hooks,
        cron,
        window,
        null,
        null,
        null);
  }
}
