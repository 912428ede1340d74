package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Outbound;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What a target sees of one rotation step: the rule, the rotation, the pending value, the current
 * one, a way to read other secrets the rule names (admin credentials, signing keys), and a way to
 * report a child process so that it can be killed if the server dies mid-step, and where the target
 * may connect ({@code outbound}: the operator's allowlist, or unrestricted for a rule set by an
 * {@code admin:*} token; see {@link RotationRule#outbound}), and a way to save how far a row sweep
 * has come ({@code progress}; the rotation's last saved progress is {@code rotation().progress()}).
 */
public record TargetContext(
    RotationRule rule,
    Rotation rotation,
    SecretValue pending,
    Optional<SecretValue> current,
    Function<SecretName, SecretValue> secrets,
    Consumer<Long> startedProcess,
    Outbound outbound,
    Consumer<dev.keyturn.core.SweepProgress> progress) {

  /** A context whose sweep progress goes nowhere. */
  public TargetContext(
      RotationRule rule,
      Rotation rotation,
      SecretValue pending,
      Optional<SecretValue> current,
      Function<SecretName, SecretValue> secrets,
      Consumer<Long> startedProcess,
      Outbound outbound) {
    this(rule, rotation, pending, current, secrets, startedProcess, outbound, p -> {});
  }

  /** A context whose destinations are limited to public addresses. */
  public TargetContext(
      RotationRule rule,
      Rotation rotation,
      SecretValue pending,
      Optional<SecretValue> current,
      Function<SecretName, SecretValue> secrets,
      Consumer<Long> startedProcess) {
    this(rule, rotation, pending, current, secrets, startedProcess, Outbound.publicOnly());
  }

  public TargetContext {
    requireNonNull(rule, "rule");
    requireNonNull(rotation, "rotation");
    requireNonNull(pending, "pending");
    requireNonNull(current, "current");
    requireNonNull(secrets, "secrets");
    requireNonNull(startedProcess, "startedProcess");
    requireNonNull(outbound, "outbound");
    requireNonNull(progress, "progress");
  }

  /** A setting of the rule's target, or a clear error naming it. */
  public String setting(String key) {
    String value = rule.target().get(key);
    if (value == null || value.isBlank()) {
      throw new dev.keyturn.core.KeyturnException.InvalidInput(
          "target " + rule.targetType() + " needs '" + key + "'");
    }
    return value;
  }
}
