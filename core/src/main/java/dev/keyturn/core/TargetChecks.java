package dev.keyturn.core;

import dev.keyturn.core.spi.Hook;
import dev.keyturn.core.spi.RotationStore;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a rule's target and hooks say outside a rotation, for the {@link RotationEngine}: whether a
 * rule's settings are right, the rule with the target's defaults, whether a plain put may store a
 * value, and the target's one-off setup. Thread-safe.
 */
final class TargetChecks {
  private final EngineWiring wiring;
  private final Retirements retirements;
  private final RotationHooks hooks;

  TargetChecks(EngineWiring wiring, Retirements retirements, RotationHooks hooks) {
    this.wiring = wiring;
    this.retirements = retirements;
    this.hooks = hooks;
  }

  /** See {@link RotationEngine#checkWrite}. */
  void checkWrite(SecretName name, Plaintext value) {
    Optional<RotationStore.RuleEntry> entry = wiring.store.rule(name);
    if (entry.isEmpty()) {
      return;
    }
    RotationRule rule = entry.get().rule();
    Optional<SecretValue> current;
    try {
      current = Optional.of(wiring.secrets.read(name, Selector.current(), false));
    } catch (KeyturnException.NotFound e) {
      current = Optional.empty();
    }
    try {
      wiring.target(rule).checkWrite(rule, current, value);
    } finally {
      current.ifPresent(v -> v.plaintext().destroy());
    }
  }

  /** See {@link RotationEngine#validate}. */
  void validate(RotationRule rule) {
    if (rule.strategy() == Strategy.REENCRYPT
        && !java.util.Set.of("postgresql", "postgres", "mariadb", "mysql")
            .contains(rule.targetType())) {
      throw new KeyturnException.InvalidInput(
          "the reencrypt strategy needs a database target (--target postgresql or mariadb)");
    }
    Function<SecretName, SecretValue> read = wiring.currentValues();
    wiring.target(rule).validate(rule, read);
    hooks.validate(rule, read);
  }

  /**
   * See {@link RotationEngine#prepare}. The hosts the prepared rule names are held against the
   * outbound list that applies to it, so that a scoped admin hears of a host the operator does not
   * allow when setting the rule, not at its first rotation.
   */
  RotationRule prepare(RotationRule rule) {
    RotationRule prepared =
        wiring
            .target(rule)
            .prepare(
                rule,
                wiring.secrets.read(rule.secret(), Selector.current(), false),
                wiring.currentValues());
    Outbound outbound = wiring.outbound(prepared);
    if (!outbound.isUnrestricted()) {
      wiring
          .target(prepared)
          .destinations(prepared)
          .forEach((key, host) -> allowed(outbound, "target setting '" + key + "'", host));
      for (HookSpec spec : prepared.hooks()) {
        Hook hook = wiring.hooks.get(spec.type());
        if (hook != null) {
          hook.destinations(spec)
              .forEach(
                  (key, host) -> allowed(outbound, spec.label() + " setting '" + key + "'", host));
        }
      }
    }
    return prepared;
  }

  /** Refuses {@code host} unless some address it resolves to now is on the outbound list. */
  private static void allowed(Outbound outbound, String setting, String host) {
    try {
      outbound.requireSomeAddressAllowed(host);
    } catch (KeyturnException.Forbidden | KeyturnException.TargetFailure e) {
      throw new KeyturnException.InvalidInput(
          setting
              + ": "
              + (e instanceof KeyturnException.Forbidden
                  ? "the host is not on the operator's outbound list (outbound: allow in the"
                      + " server's --config file); only an admin:* token may point a rule"
                      + " elsewhere"
                  : "the host is not found"));
    }
  }

  /** See {@link RotationEngine#setup}. */
  List<String> setup(RotationRule rule, SecretName name) {
    return wiring.target(rule).setup(retirements.revokeContext(rule, name));
  }
}
