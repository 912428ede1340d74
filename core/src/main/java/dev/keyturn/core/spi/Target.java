package dev.keyturn.core.spi;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretValue;
import java.util.List;

/**
 * Where a rotated value is applied and tested: nothing (a key that apps read), a command, a
 * webhook, a database, an SMTP login. Every method must be idempotent: after a crash or a failure
 * the engine calls it again with the same value. Failures are {@link
 * dev.keyturn.core.KeyturnException.TargetFailure}s whose messages never hold a value.
 */
public interface Target {

  /**
   * Checks a rule's settings for this target without touching the target: required settings and
   * their types, strategies and generators the target cannot use, the shape of secrets the rule
   * names ({@code secrets} reads their current values). The default accepts every rule that is not
   * alternating-users, which needs a database target.
   *
   * @throws KeyturnException.InvalidInput naming the setting that is wrong
   */
  default void validate(
      RotationRule rule,
      java.util.function.Function<dev.keyturn.core.SecretName, SecretValue> secrets) {
    if (rule.strategy() == dev.keyturn.core.Strategy.ALTERNATING_USERS) {
      throw new KeyturnException.InvalidInput(
          "alternating-users needs a database target (postgresql, mariadb)");
    }
  }

  /**
   * The hosts a rule prepared by {@link #prepare} makes the server connect to, each by the setting
   * that names it (for a refusal that names the setting), as far as the settings tell. The rule
   * check holds them against the operator's outbound list when the rule's author is not {@code
   * admin:*}; the connection itself is checked again at connect time. The default: none.
   */
  default java.util.Map<String, String> destinations(RotationRule rule) {
    return java.util.Map.of();
  }

  /**
   * Checks a rule that names this target against the secret's current value, and returns it with
   * the target's defaults filled in (so that {@code rotation show} tells what will happen).
   */
  default RotationRule prepare(RotationRule rule, SecretValue current) {
    if (rule.strategy() == dev.keyturn.core.Strategy.ALTERNATING_USERS) {
      throw new KeyturnException.InvalidInput(
          "alternating-users needs a database target (postgresql, mariadb)");
    }
    return rule;
  }

  /**
   * {@link #prepare(RotationRule, SecretValue)} for a target that also reads the other secrets the
   * rule names (as {@code validate} does), such as a {@code reencrypt} rule's admin credential,
   * whose place the prepared rule pins. The default ignores them.
   */
  default RotationRule prepare(
      RotationRule rule,
      SecretValue current,
      java.util.function.Function<dev.keyturn.core.SecretName, SecretValue> secrets) {
    return prepare(rule, current);
  }

  /**
   * The value a rotation stores as pending, made from the current one and a freshly generated
   * value. Most targets store the generated value as it is; database targets put it into the
   * structured secret as the new password (and, alternating users, the other user name).
   */
  default Plaintext nextValue(
      RotationRule rule, SecretValue current, Plaintext generated, boolean emergency) {
    return Plaintext.wrap(generated.reveal());
  }

  /**
   * Checks a value a caller wants to store with a plain {@code put} under a secret this rule's
   * target manages, before anything is stored. A writer may store values that fit the rule; it may
   * not change what the rule points at (a database target refuses a value whose host, port,
   * database or user differs from the identity the rule pins), nor skip the target's {@code set}
   * and {@code test} (a database target refuses a new password: it must be rotated). Most targets
   * accept every value.
   *
   * @param current the secret's current value, when it has one
   * @throws KeyturnException.Forbidden naming the rule, when the value changes what the rule pins
   * @throws KeyturnException.InvalidInput when the value does not fit the rule or must be rotated;
   *     messages never quote the value
   */
  default void checkWrite(
      RotationRule rule, java.util.Optional<SecretValue> current, Plaintext value) {}

  /** Applies the pending value where it must be applied. */
  void set(TargetContext context);

  /** Checks that the pending value works where it was applied. */
  void test(TargetContext context);

  /**
   * Whether {@link #test} really tells if the target holds the pending value. A retried {@code set}
   * is skipped only when a test that can tell says the value is already there.
   */
  default boolean canTell(TargetContext context) {
    return true;
  }

  /** Puts the current value back where the strategy allows (the rotation is being abandoned). */
  void rollback(TargetContext context);

  /**
   * Makes the target stop accepting every value that is no longer valid: called after a finish that
   * retired the old version, and before versions whose grace ended are retired. {@code
   * context.live()} holds the versions that stay valid. Most targets have nothing to revoke (the
   * value was replaced in place, or the target keeps no list).
   */
  default void revoke(RevokeContext context) {}

  /**
   * Prepares the target for the rule (a second database user, an owner role), re-runnable; returns
   * what it did, one line per action, no values.
   */
  default List<String> setup(RevokeContext context) {
    throw new KeyturnException.InvalidInput(
        "target " + context.rule().targetType() + " needs no setup");
  }

  /**
   * What {@link #revoke} and {@link #setup} see: the rule, the versions valid now (current first,
   * then pending and previous ones; decrypted on each call of {@link #live}, so targets that revoke
   * nothing cost nothing), and the other secrets the rule names.
   */
  record RevokeContext(
      RotationRule rule,
      java.util.function.Supplier<List<SecretValue>> liveValues,
      java.util.function.Function<dev.keyturn.core.SecretName, SecretValue> secrets,
      dev.keyturn.core.Outbound outbound) {
    public RevokeContext {
      java.util.Objects.requireNonNull(rule, "rule");
      java.util.Objects.requireNonNull(liveValues, "liveValues");
      java.util.Objects.requireNonNull(secrets, "secrets");
      java.util.Objects.requireNonNull(outbound, "outbound");
    }

    /** A context whose destinations are limited to public addresses. */
    public RevokeContext(
        RotationRule rule,
        java.util.function.Supplier<List<SecretValue>> liveValues,
        java.util.function.Function<dev.keyturn.core.SecretName, SecretValue> secrets) {
      this(rule, liveValues, secrets, dev.keyturn.core.Outbound.publicOnly());
    }

    /** The versions valid now, current first. */
    public List<SecretValue> live() {
      return liveValues.get();
    }

    /** A setting of the rule's target, or a clear error naming it. */
    public String setting(String key) {
      String value = rule.target().get(key);
      if (value == null || value.isBlank()) {
        throw new KeyturnException.InvalidInput(
            "target " + rule.targetType() + " needs '" + key + "'");
      }
      return value;
    }
  }
}
