package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

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
 * report a child process so that it can be killed if the server dies mid-step.
 */
public record TargetContext(
    RotationRule rule,
    Rotation rotation,
    SecretValue pending,
    Optional<SecretValue> current,
    Function<SecretName, SecretValue> secrets,
    Consumer<Long> startedProcess) {

  public TargetContext {
    requireNonNull(rule, "rule");
    requireNonNull(rotation, "rotation");
    requireNonNull(pending, "pending");
    requireNonNull(current, "current");
    requireNonNull(secrets, "secrets");
    requireNonNull(startedProcess, "startedProcess");
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
