package dev.keyturn.targets;

import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs {@code sh -c COMMAND} in a process group of its own ({@code setsid}), with optional bytes on
 * standard input, a timeout that kills the whole group, and output discarded (it could echo a
 * value). Used by the command target and the command hook.
 */
final class Commands {
  private Commands() {}

  static void run(
      String what,
      String command,
      Map<String, String> environment,
      byte[] stdin,
      Duration timeout,
      Consumer<Long> started) {
    ProcessBuilder builder =
        new ProcessBuilder("setsid", "sh", "-c", command)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().putAll(environment);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new KeyturnException.TargetFailure(what + " could not start: " + e.getMessage());
    }
    started.accept(process.pid());
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin);
    } catch (IOException e) {
      // The command did not read its input; its exit code tells whether that was fine.
    } finally {
      Arrays.fill(stdin, (byte) 0);
    }
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        killGroup(process.pid());
        throw new KeyturnException.TargetFailure(
            what + " did not finish within " + Durations.format(timeout));
      }
    } catch (InterruptedException e) {
      killGroup(process.pid());
      Thread.currentThread().interrupt();
      throw new KeyturnException.TargetFailure(what + " was interrupted");
    }
    if (process.exitValue() != 0) {
      throw new KeyturnException.TargetFailure(what + " exited with " + process.exitValue());
    }
  }

  static void killGroup(long pid) {
    try {
      new ProcessBuilder("kill", "-KILL", "--", "-" + pid).start().waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
