package dev.keyturn.targets;

import dev.keyturn.core.CommandSpec;
import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.ProcessGroups;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a command the operator declared ({@link CommandSpec}) in a process group of its own ({@code
 * setsid}), as its declared user ({@code setpriv}), in its directory, with optional bytes on
 * standard input, a timeout that kills the whole group, and output discarded (it could echo a
 * value). The environment is the declared one plus {@code PATH}, {@code LANG} and the {@code
 * KEYTURN_*} variables given: nothing else of the server's (its root key, its store URL). Used by
 * the command target and the command hook.
 */
final class Commands {
  private Commands() {}

  static void run(
      String what,
      CommandSpec spec,
      Map<String, String> keyturn,
      byte[] stdin,
      Consumer<Long> started) {
    List<String> argv = new ArrayList<>(List.of("setsid"));
    if (spec.user().isPresent()) {
      argv.addAll(
          List.of(
              "setpriv",
              "--reuid=" + spec.user().get(),
              "--regid=" + primaryGroup(what, spec.user().get()),
              "--init-groups",
              "--"));
    }
    argv.addAll(spec.argv());
    ProcessBuilder builder =
        new ProcessBuilder(argv)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    spec.directory().ifPresent(d -> builder.directory(d.toFile()));
    Map<String, String> env = builder.environment();
    String path = env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
    String lang = env.get("LANG");
    env.clear();
    env.put("PATH", path);
    if (lang != null) {
      env.put("LANG", lang);
    }
    env.putAll(spec.environment());
    env.putAll(keyturn);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      Arrays.fill(stdin, (byte) 0);
      throw new KeyturnException.TargetFailure(what + " could not start");
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
      if (!process.waitFor(spec.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        ProcessGroups.kill(process.pid());
        throw new KeyturnException.TargetFailure(
            what + " did not finish within " + Durations.format(spec.timeout()));
      }
    } catch (InterruptedException e) {
      ProcessGroups.kill(process.pid());
      Thread.currentThread().interrupt();
      throw new KeyturnException.TargetFailure(what + " was interrupted");
    }
    if (process.exitValue() != 0) {
      throw new KeyturnException.TargetFailure(what + " exited with " + process.exitValue());
    }
  }

  /** The primary group id of {@code user}, for {@code setpriv}. */
  private static String primaryGroup(String what, String user) {
    try {
      Process id =
          new ProcessBuilder("id", "-g", "--", user)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String gid =
          new String(id.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
      if (!id.waitFor(5, TimeUnit.SECONDS) || id.exitValue() != 0 || !gid.matches("[0-9]+")) {
        throw new KeyturnException.TargetFailure(what + ": its user does not exist");
      }
      return gid;
    } catch (IOException e) {
      throw new KeyturnException.TargetFailure(what + ": its user cannot be looked up");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyturnException.TargetFailure(what + " was interrupted");
    }
  }
}
