package dev.keyturn.targets;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.CommandSpec;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import java.util.Map;
import java.util.Optional;

/**
 * Target {@code command}: runs the declared command named by {@code set-command} to apply a value
 * and the one named by {@code test-command} to check it. Commands are declared by the operator in
 * the server's configuration file ({@link CommandSpec}); a rule only names them, so the API never
 * decides what runs on the host. The value arrives on standard input, exactly, never on a command
 * line; exit 0 is success. The process group's id is reported before waiting, so that after a crash
 * the engine kills what is left of it before the step runs again. Rollback runs {@code set-command}
 * with the current value.
 *
 * <p>Settings: {@code set-command}, {@code test-command} (optional): names of declared commands.
 * The command sees {@code KEYTURN_SECRET}, {@code KEYTURN_VERSION} and {@code KEYTURN_PHASE} in its
 * environment. Its output is discarded: it could contain the value.
 */
public final class CommandTarget implements Target {
  public static final String TYPE = "command";

  private final HostPolicy host;

  public CommandTarget(HostPolicy host) {
    this.host = requireNonNull(host, "host");
  }

  /** Only {@code set-command} and {@code test-command}, each naming a declared command. */
  @Override
  public void validate(
      RotationRule rule,
      java.util.function.Function<dev.keyturn.core.SecretName, SecretValue> secrets) {
    Target.super.validate(rule, secrets);
    dev.keyturn.core.SettingChecks checks =
        dev.keyturn.core.SettingChecks.target(rule).only("set-command", "test-command");
    host.requireCommand(checks.required("set-command"));
    testCommand(rule).ifPresent(host::requireCommand);
  }

  @Override
  public void set(TargetContext context) {
    run(context, "set", context.setting("set-command"), context.pending());
  }

  @Override
  public void test(TargetContext context) {
    Optional<String> test = testCommand(context.rule());
    if (test.isPresent()) {
      run(context, "test", test.get(), context.pending());
    }
  }

  /** Only a test command can tell whether the value is there. */
  @Override
  public boolean canTell(TargetContext context) {
    return testCommand(context.rule()).isPresent();
  }

  @Override
  public void rollback(TargetContext context) {
    if (context.current().isPresent()) {
      run(context, "rollback", context.setting("set-command"), context.current().get());
    }
  }

  private static Optional<String> testCommand(RotationRule rule) {
    return Optional.ofNullable(rule.target().get("test-command")).filter(t -> !t.isBlank());
  }

  private void run(TargetContext context, String phase, String name, SecretValue value) {
    Commands.run(
        phase + " command",
        host.requireCommand(name),
        Map.of(
            "KEYTURN_SECRET", context.rotation().secret().value(),
            "KEYTURN_VERSION", Integer.toString(value.version().number()),
            "KEYTURN_PHASE", phase),
        value.plaintext().reveal(),
        context.startedProcess());
  }
}
