package dev.keyturn.target;

import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

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
    Duration timeout = Durations.parse(context.rule().target().getOrDefault("timeout", "5m"));
    ProcessBuilder builder =
        new ProcessBuilder("setsid", "sh", "-c", command)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("KEYTURN_SECRET", context.rotation().secret().value());
    builder.environment().put("KEYTURN_VERSION", Integer.toString(value.version().number()));
    builder.environment().put("KEYTURN_PHASE", phase);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new KeyturnException.TargetFailure(
          phase + " command could not start: " + e.getMessage());
    }
    context.startedProcess().accept(process.pid());
    byte[] bytes = value.plaintext().reveal();
    try (OutputStream in = process.getOutputStream()) {
      in.write(bytes);
    } catch (IOException e) {
      // The command did not read its input; its exit code tells whether that was fine.
    } finally {
      java.util.Arrays.fill(bytes, (byte) 0);
    }
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        killGroup(process.pid());
        throw new KeyturnException.TargetFailure(
            phase + " command did not finish within " + Durations.format(timeout));
      }
    } catch (InterruptedException e) {
      killGroup(process.pid());
      Thread.currentThread().interrupt();
      throw new KeyturnException.TargetFailure(phase + " command was interrupted");
    }
    if (process.exitValue() != 0) {
      throw new KeyturnException.TargetFailure(
          phase + " command exited with " + process.exitValue());
    }
  }

  private static void killGroup(long pid) {
    try {
      new ProcessBuilder("kill", "-KILL", "--", "-" + pid).start().waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
