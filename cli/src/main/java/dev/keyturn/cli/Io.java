package dev.keyturn.cli;

import static java.util.Objects.requireNonNull;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a command may touch of the world: standard streams, environment, home and working folder.
 * Injected so tests run commands in-process with their own streams and environment.
 *
 * @param terminal whether standard input and output are an interactive terminal
 */
record Io(
    InputStream in,
    PrintStream out,
    PrintStream err,
    Map<String, String> env,
    Path home,
    Path workingDir,
    boolean terminal) {
  Io {
    requireNonNull(in, "in");
    requireNonNull(out, "out");
    requireNonNull(err, "err");
    env = Map.copyOf(env);
    requireNonNull(home, "home");
    requireNonNull(workingDir, "workingDir");
  }

  static Io system() {
    return new Io(
        System.in,
        System.out,
        System.err,
        System.getenv(),
        Path.of(System.getProperty("user.home")),
        Path.of("").toAbsolutePath(),
        Terminal.isInteractive());
  }
}
