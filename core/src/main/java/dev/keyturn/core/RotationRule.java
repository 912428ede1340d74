package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How and when one secret is rotated. Setting a rule never rotates at once: the first rotation is
 * due one period after the current version was created.
 *
 * @param generator how new values are made; {@code manual} when a person supplies them
 * @param schedule how often; absent for a secret rotated only on request
 * @param grace how long the replaced version stays valid (overlap and manual strategies)
 * @param propagation how long a new value is accepted by verifiers before signers use it
 * @param target where the value is applied and tested: {@code type} and its settings
 * @param attempts how many times a failing step is tried before the rotation rolls back
 * @param backoff the wait before the first retry; each retry waits twice as long
 * @param hooks what runs after set, after finish and on failure; checks among them gate a step
 */
public record RotationRule(
    SecretName secret,
    Generator generator,
    Optional<Schedule> schedule,
    Duration grace,
    Strategy strategy,
    Duration propagation,
    String targetType,
    Map<String, String> target,
    String owner,
    String purpose,
    String impact,
    int attempts,
    Duration backoff,
    java.util.List<HookSpec> hooks) {

  public RotationRule {
    requireNonNull(secret, "secret");
    requireNonNull(generator, "generator");
    requireNonNull(schedule, "schedule");
    requireNonNull(grace, "grace");
    requireNonNull(strategy, "strategy");
    requireNonNull(propagation, "propagation");
    requireNonNull(targetType, "targetType");
    target = Map.copyOf(target);
    requireNonNull(owner, "owner");
    requireNonNull(purpose, "purpose");
    requireNonNull(impact, "impact");
    requireNonNull(backoff, "backoff");
    hooks = java.util.List.copyOf(hooks);
    if (grace.isNegative() || propagation.isNegative() || backoff.isNegative()) {
      throw new KeyturnException.InvalidInput(
          "grace, propagation and backoff must not be negative");
    }
    if (attempts < 1 || attempts > 20) {
      throw new KeyturnException.InvalidInput("attempts must be between 1 and 20");
    }
    if (generator.isManual() != (strategy == Strategy.MANUAL)) {
      throw new KeyturnException.InvalidInput(
          "the manual strategy goes with --generate manual, and only with it");
    }
  }

  /** This rule with other target settings. */
  public RotationRule withTarget(Map<String, String> settings) {
    return new RotationRule(
        secret,
        generator,
        schedule,
        grace,
        strategy,
        propagation,
        targetType,
        settings,
        owner,
        purpose,
        impact,
        attempts,
        backoff,
        hooks);
  }
}
