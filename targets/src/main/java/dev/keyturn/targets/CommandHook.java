package dev.keyturn.targets;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.HookSpec;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.spi.Hook;
import java.util.Map;
import java.util.function.Function;

/**
 * Hook {@code command}: runs the declared command named by {@code command} (e.g. one declared as
 * {@code systemctl reload gunicorn}) in its own process group; exit 0 is success. Commands are
 * declared by the operator in the server's configuration file; a rule only names one. It gets no
 * value: {@code KEYTURN_SECRET}, {@code KEYTURN_VERSION} and {@code KEYTURN_PHASE} only.
 */
public final class CommandHook implements Hook {
  public static final String TYPE = "command";

  private final HostPolicy host;

  public CommandHook(HostPolicy host) {
    this.host = requireNonNull(host, "host");
  }

  /** Only {@code command}, naming a command the operator declared (its timeout is declared too). */
  @Override
  public void validate(
      HookSpec hook, java.util.function.Function<SecretName, SecretValue> secrets) {
    dev.keyturn.core.SettingChecks.hook(hook).only("command").required("command");
    host.requireCommand(name(hook));
  }

  @Override
  public void run(
      HookSpec hook,
      RotationRule rule,
      Rotation rotation,
      Function<SecretName, SecretValue> secrets) {
    Commands.run(
        hook.label(),
        host.requireCommand(name(hook)),
        Map.of(
            "KEYTURN_SECRET", rotation.secret().value(),
            "KEYTURN_VERSION", rotation.pendingVersion().map(String::valueOf).orElse(""),
            "KEYTURN_PHASE", hook.phase().wireName()),
        new byte[0],
        pid -> {});
  }

  private static String name(HookSpec hook) {
    String command = hook.settings().get("command");
    if (command == null || command.isBlank()) {
      throw new KeyturnException.InvalidInput("a command hook needs 'command'");
    }
    return command;
  }
}
