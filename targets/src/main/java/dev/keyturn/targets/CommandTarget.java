package dev.keyturn.targets;

import dev.keyturn.core.Durations;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import java.util.Map;

/**
 * Target {@code command}: runs {@code set-command} to apply a value and {@code test-command} to
 * check it, each with {@code sh -c} in a process group of its own ({@code setsid}). The value
 * arrives on standard input, exactly, never on a command line; exit 0 is success. The group's id is
 * reported before waiting, so that after a crash the engine kills what is left of it before the
 * step runs again. Rollback runs {@code set-command} with the current value.
 *
 * <p>Settings: {@code set-command}, {@code test-command} (optional), {@code timeout} (default 5m).
 * The command sees {@code KEYTURN_SECRET}, {@code KEYTURN_VERSION} and {@code KEYTURN_PHASE} in its
 * environment. Its output is discarded: it could contain the value.
 */
public final class CommandTarget implements Target {
  public static final String TYPE = "command";

  @Override
  public void validate(
      dev.keyturn.core.RotationRule rule,
      java.util.function.Function<dev.keyturn.core.SecretName, dev.keyturn.core.SecretValue>
          secrets) {
    Target.super.validate(rule, secrets);
    dev.keyturn.core.SettingChecks checks =
        dev.keyturn.core.SettingChecks.target(rule)
            .only("set-command", "test-command", "timeout")
            .duration("timeout", java.time.Duration.ofDays(1));
    checks.required("set-command");
  }

  @Override
  public void set(TargetContext context) {
    run(context, "set", context.setting("set-command"), context.pending());
  }

  @Override
  public void test(TargetContext context) {
    String test = context.rule().target().get("test-command");
    if (test != null && !test.isBlank()) {
      run(context, "test", test, context.pending());
    }
  }

  /** Only a test command can tell whether the value is there. */
  @Override
  public boolean canTell(TargetContext context) {
    String test = context.rule().target().get("test-command");
    return test != null && !test.isBlank();
  }

  @Override
  public void rollback(TargetContext context) {
    if (context.current().isPresent()) {
      run(context, "rollback", context.setting("set-command"), context.current().get());
    }
  }

  private static void run(TargetContext context, String phase, String command, SecretValue value) {
    Commands.run(
        phase + " command",
        command,
        Map.of(
            "KEYTURN_SECRET", context.rotation().secret().value(),
            "KEYTURN_VERSION", Integer.toString(value.version().number()),
            "KEYTURN_PHASE", phase),
        value.plaintext().reveal(),
        Durations.parse(context.rule().target().getOrDefault("timeout", "5m")),
        context.startedProcess());
  }
}
