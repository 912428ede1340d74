package dev.keyturn.core;

import dev.keyturn.core.Rotation.CheckResult;
import dev.keyturn.core.spi.Hook;
import java.util.function.Function;

/**
 * Runs a rule's hooks for the {@link RotationEngine} and writes the checklist lines of a rotation:
 * a hook's, a step's, a check's. A line names what ran and Keyturn's own message of a failure,
 * never a value. Thread-safe.
 */
final class RotationHooks {
  private final EngineWiring wiring;

  RotationHooks(EngineWiring wiring) {
    this.wiring = wiring;
  }

  /**
   * Runs the rule's hooks of {@code phase} in order, recording each in the checklist. A failing
   * check throws (failing the step); a failing hook is recorded and the others still run.
   *
   * @throws CheckFailed if a hook marked as a check fails
   */
  Rotation run(Rotation rotation, RotationRule rule, HookSpec.Phase phase) {
    Rotation out = rotation;
    for (HookSpec spec : rule.hooks()) {
      if (spec.phase() != phase) {
        continue;
      }
      long started = System.nanoTime();
      Hook hook = wiring.hooks.get(spec.type());
      try {
        if (hook == null) {
          throw new KeyturnException.TargetFailure("unknown hook type '" + spec.type() + "'");
        }
        hook.run(spec, rule, out, wiring.currentValues(), wiring.outbound(rule));
        out = out.checked(check(spec.label(), true, started, ""));
      } catch (RuntimeException e) {
        out = out.checked(check(spec.label(), false, started, describe(e)));
        if (spec.check()) {
          throw new CheckFailed(spec.label() + " failed: " + describe(e), out);
        }
      }
    }
    return out;
  }

  /** Has each of the rule's hooks that this engine knows check its settings. */
  void validate(RotationRule rule, Function<SecretName, SecretValue> read) {
    for (HookSpec spec : rule.hooks()) {
      Hook hook = wiring.hooks.get(spec.type());
      if (hook != null) {
        hook.validate(spec, read);
      }
    }
  }

  /**
   * A checklist line for something that started at {@code startedNanos} ({@link System#nanoTime}).
   */
  static CheckResult check(String name, boolean ok, long startedNanos, String message) {
    return new CheckResult(name, ok, (System.nanoTime() - startedNanos) / 1_000_000, message);
  }

  /** What a checklist and the audit say of a failure: Keyturn's own message, else no detail. */
  static String describe(RuntimeException e) {
    return e instanceof KeyturnException || e instanceof CheckFailed
        ? e.getMessage()
        : "failed unexpectedly";
  }

  /** A check hook failed after its step worked; carries the checklist up to and with it. */
  static final class CheckFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Rotation rotation;

    CheckFailed(String message, Rotation rotation) {
      super(message, null, false, false);
      this.rotation = rotation;
    }

    /** The rotation with the checklist up to and with the failed check. */
    Rotation rotation() {
      return rotation;
    }
  }
}
