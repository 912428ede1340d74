package dev.keyturn.cli;

import dev.keyturn.cli.delivery.AtomicFile;
import dev.keyturn.cli.delivery.Mapping;
import dev.keyturn.cli.delivery.SecretFolder;
import dev.keyturn.cli.delivery.Supervisor;
import dev.keyturn.cli.delivery.Variables;
import dev.keyturn.client.KeyturnClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn run [mapping] -- CMD [ARGS]}: a program with its secrets (docs/delivery.md). */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a program with mapped secrets as environment variables.",
      "Every value is read and checked before CMD starts; CMD never starts with part of its"
          + " secrets. The values override inherited variables, and KEYTURN_TOKEN* is removed"
          + " from CMD's environment. run exits with CMD's exit code (128+N after signal N),"
          + " 127 when CMD is not found, and passes SIGTERM, SIGHUP, SIGINT, SIGUSR1 and SIGUSR2"
          + " on to it (not SIGINT when standard input is a terminal, which sends Ctrl-C to CMD"
          + " itself)."
    })
final class RunCommand extends ClientCommand implements Callable<Integer> {
  @Mixin MappingOptions mapping = new MappingOptions();

  @Option(
      names = "--files",
      arity = "0..1",
      fallbackValue = "",
      paramLabel = "DIR",
      description =
          "Write each value to DIR/VAR (DIR mode 700, files 600) and pass VAR_FILE=DIR/VAR"
              + " instead of VAR; the files are removed when CMD exits. Without DIR, a new folder"
              + " under $XDG_RUNTIME_DIR or /dev/shm (memory, not disk).")
  String files;

  @Option(
      names = "--files-on-disk",
      description = "Allow a --files DIR on a disk file system (values then reach the disk).")
  boolean filesOnDisk;

  @Parameters(paramLabel = "CMD", arity = "0..*", description = "The program and its arguments.")
  List<String> command = new ArrayList<>();

  @Override
  public Integer call() throws InterruptedException {
    if (command.isEmpty()) {
      return usage("no command: keyturn run [mapping] -- CMD [ARGS]");
    }
    if (filesOnDisk && files == null) {
      return usage("--files-on-disk goes with --files");
    }
    Variables variables;
    // Closed before CMD starts: its idle selector thread would hold the JVM's exit ~300 ms.
    try (KeyturnClient client = client()) {
      variables =
          new Mapping(new ClientSource(client), w -> io().err().println("keyturn: " + w))
              .resolve(mapping.spec(io().workingDir()));
    }
    return start(io(), variables, command, files, filesOnDisk);
  }

  /**
   * Starts {@code command} with {@code variables} (as values, or as {@code _FILE} files with {@code
   * files}) and returns its exit code; shared with {@link FastRun}.
   */
  static int start(
      Io io, Variables variables, List<String> command, String files, boolean filesOnDisk)
      throws InterruptedException {
    Map<String, String> environment = new HashMap<>();
    io.env()
        .forEach((k, v) -> {
          if (!k.startsWith("KEYTURN_TOKEN")) {
            environment.put(k, v);
          }
        });
    List<Path> written = new ArrayList<>();
    Path dir = null;
    boolean created = false;
    try {
      if (files == null) {
        environment.putAll(variables.reveal());
      } else {
        if (files.isEmpty()) {
          dir = SecretFolder.createInMemory(io.env());
          created = true;
        } else {
          dir = io.workingDir().resolve(files);
          created = SecretFolder.prepare(dir);
          if (!filesOnDisk && !SecretFolder.inMemory(dir)) {
            return refuse(
                io,
                dir
                    + " is on a disk file system, where values outlive the run: use a folder in"
                    + " memory (tmpfs), or give --files-on-disk");
          }
        }
        for (Map.Entry<String, String> v : variables.reveal().entrySet()) {
          Path file = dir.resolve(v.getKey());
          environment.remove(v.getKey());
          AtomicFile.write(file, v.getValue().getBytes(StandardCharsets.UTF_8));
          written.add(file);
          environment.put(v.getKey() + "_FILE", file.toString());
        }
      }
      io.out().flush();
      io.err().flush();
      try {
        return Supervisor.run(command, environment, io.workingDir(), Supervisor.stdinIsTerminal());
      } catch (Supervisor.StartFailed e) {
        io.err().println("keyturn: " + e.getMessage());
        return e.exitCode();
      }
    } finally {
      remove(io, written, created ? dir : null);
    }
  }

  private static void remove(Io io, List<Path> written, Path createdDir) {
    for (Path file : written) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        io.err().println("keyturn: cannot remove " + file + ": " + e.getMessage());
      }
    }
    if (createdDir != null) {
      try {
        Files.deleteIfExists(createdDir);
      } catch (IOException e) {
        io.err().println("keyturn: cannot remove " + createdDir + ": " + e.getMessage());
      }
    }
  }

  private int usage(String message) {
    io().err().println("keyturn: " + message + " (see 'keyturn run --help')");
    return ExitCode.USAGE;
  }

  private static int refuse(Io io, String message) {
    io.err().println("keyturn: " + message);
    return ExitCode.ERROR;
  }
}
