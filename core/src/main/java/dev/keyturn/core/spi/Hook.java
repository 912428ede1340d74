package dev.keyturn.core.spi;

import dev.keyturn.core.HookSpec;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import java.util.function.Function;

/**
 * Runs one kind of hook ({@code command}, {@code http}, {@code sql}). Hooks never receive the
 * rotated value; they act on what uses it (reload a service, invalidate sessions). Failures are
 * {@link dev.keyturn.core.KeyturnException.TargetFailure}s whose messages hold no value.
 */
public interface Hook {

  /**
   * Checks a hook's settings without running it ({@code secrets} reads the current values of the
   * secrets it names). The default accepts any settings.
   *
   * @throws dev.keyturn.core.KeyturnException.InvalidInput naming the setting that is wrong
   */
  default void validate(HookSpec hook, Function<SecretName, SecretValue> secrets) {}

  /**
   * The hosts this hook makes the server connect to, each by the setting that names it, as far as
   * its settings tell (see {@link Target#destinations}). The default: none.
   */
  default java.util.Map<String, String> destinations(HookSpec hook) {
    return java.util.Map.of();
  }

  void run(
      HookSpec hook,
      RotationRule rule,
      Rotation rotation,
      Function<SecretName, SecretValue> secrets);

  /**
   * Runs the hook; a hook that connects somewhere connects only where {@code outbound} allows (the
   * operator's allowlist, or unrestricted for rules set by an {@code admin:*} token).
   */
  default void run(
      HookSpec hook,
      RotationRule rule,
      Rotation rotation,
      Function<SecretName, SecretValue> secrets,
      Outbound outbound) {
    run(hook, rule, rotation, secrets);
  }
}
