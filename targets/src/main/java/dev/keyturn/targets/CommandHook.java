package dev.keyturn.targets;

import dev.keyturn.core.Durations;
import dev.keyturn.core.HookSpec;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.spi.Hook;
import java.util.Map;
import java.util.function.Function;

/**
 * Hook {@code command}: runs {@code command} (e.g. {@code systemctl reload gunicorn}) as {@code sh
 * -c} in its own process group; exit 0 is success. It gets no value: {@code KEYTURN_SECRET}, {@code
 * KEYTURN_VERSION} and {@code KEYTURN_PHASE} only. Setting {@code timeout} (default 5m).
 */
public final class CommandHook implements Hook {
  public static final String TYPE = "command";

  @Override
  public void validate(
      HookSpec hook, java.util.function.Function<SecretName, SecretValue> secrets) {
    dev.keyturn.core.SettingChecks.hook(hook)
        .only("command", "timeout")
        .duration("timeout", java.time.Duration.ofDays(1))
        .required("command");
  }

  @Override
  public void run(
      HookSpec hook,
      RotationRule rule,
      Rotation rotation,
      Function<SecretName, SecretValue> secrets) {
    String command = hook.settings().get("command");
    if (command == null || command.isBlank()) {
      throw new dev.keyturn.core.KeyturnException.InvalidInput("a command hook needs 'command'");
    }
    Commands.run(
        hook.label(),
        command,
        Map.of(
            "KEYTURN_SECRET", rotation.secret().value(),
            "KEYTURN_VERSION", rotation.pendingVersion().map(String::valueOf).orElse(""),
            "KEYTURN_PHASE", hook.phase().wireName()),
        new byte[0],
        Durations.parse(hook.settings().getOrDefault("timeout", "5m")),
        pid -> {});
  }
}
