package dev.keyturn.testing;

import dev.keyturn.core.HookSpec;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.spi.Hook;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** A hook that records its runs and fails when its settings say {@code fail: true}. */
public final class RecordingHook implements Hook {
  private final List<String> runs = new ArrayList<>();

  @Override
  public synchronized void run(
      HookSpec hook,
      RotationRule rule,
      Rotation rotation,
      Function<SecretName, SecretValue> secrets) {
    runs.add(hook.phase().wireName() + ":" + hook.settings().getOrDefault("name", ""));
    if ("true".equals(hook.settings().get("fail"))) {
      throw new KeyturnException.TargetFailure("recording hook told to fail");
    }
  }

  public synchronized List<String> runs() {
    return List.copyOf(runs);
  }
}
