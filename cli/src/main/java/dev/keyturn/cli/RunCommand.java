package dev.keyturn.cli;

import dev.keyturn.cli.delivery.ChildEnvironment;
import dev.keyturn.cli.delivery.Mapping;
import dev.keyturn.cli.delivery.MappingSpec;
import dev.keyturn.cli.delivery.OnChange;
import dev.keyturn.cli.delivery.SecretFolder;
import dev.keyturn.cli.delivery.Supervisor;
import dev.keyturn.cli.delivery.Variables;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
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
          + " itself).",
      "With --watch, run follows changes to the mapped secrets and restarts CMD, or signals it,"
          + " when a value changed (docs/delivery.md)."
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

  @Option(
      names = "--watch",
      description =
          "Follow changes to the mapped secrets and, when a value changed, restart CMD or send it"
              + " a signal (--on-change). run then lasts as long as CMD.")
  boolean watch;

  @Option(
      names = "--on-change",
      paramLabel = "restart|signal:NAME",
      description =
          "With --watch: restart CMD (SIGTERM, SIGKILL after --stop-timeout, then a fresh start"
              + " with the new values; the default), or rewrite its _FILE files and send it"
              + " signal NAME (HUP, USR1, ...; needs --files).")
  String onChange;

  @Option(
      names = "--splay",
      paramLabel = "D",
      description =
          "With --watch: wait a random time between 0 and D after a change before re-reading"
              + " (default 5s), so that instances do not all restart at once.")
  String splay;

  @Option(
      names = "--stop-timeout",
      paramLabel = "D",
      description = "With --watch: SIGKILL a CMD still running D after SIGTERM (default 10s).")
  String stopTimeout;

  @Option(
      names = "--consumer-id",
      paramLabel = "ID",
      description =
          "With --watch: the id it registers as a consumer under (default run.HOST.PID); an id"
              + " belongs to the token that registered it.")
  String consumerId;

  @Option(
      names = "--consumer-ttl",
      paramLabel = "D",
      description =
          "With --watch: how long the registration stays live without a heartbeat (10s to 1h,"
              + " default 90s); heartbeats go every third of it.")
  String consumerTtl;

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
    if (!watch) {
      for (String[] option :
          new String[][] {
            {"--on-change", onChange},
            {"--splay", splay},
            {"--stop-timeout", stopTimeout},
            {"--consumer-id", consumerId},
            {"--consumer-ttl", consumerTtl}
          }) {
        if (option[1] != null) {
          return usage(option[0] + " goes with --watch");
        }
      }
      Variables variables;
      // Closed before CMD starts: its idle selector thread would hold the JVM's exit ~300 ms.
      try (WireClient client = client()) {
        variables =
            new Mapping(new ClientSource(client), w -> io().err().println("keyturn: " + w))
                .resolve(mapping.spec(io().workingDir()));
      }
      return start(io(), variables, command, files, filesOnDisk);
    }
    WatchedRun.Settings settings;
    Duration ttl;
    try {
      ttl = duration("--consumer-ttl", consumerTtl, "90s");
      if (ttl.compareTo(Duration.ofSeconds(10)) < 0
          || ttl.compareTo(Duration.ofHours(1)) > 0
          || ttl.toMillis() % 1000 != 0) {
        return usage("--consumer-ttl is whole seconds from 10s to 1h");
      }
      if (consumerId != null && !consumerId.matches("[A-Za-z0-9._-]{1,64}")) {
        return usage("--consumer-id is 1 to 64 of A-Z a-z 0-9 . _ -");
      }
      OnChange reaction = onChange == null ? OnChange.restart() : OnChange.parse(onChange);
      if (reaction.signal().isPresent() && files == null) {
        return usage(
            "--on-change signal:"
                + reaction.signal().get()
                + " needs --files: a running program's environment cannot change, its files can");
      }
      settings =
          new WatchedRun.Settings(
              reaction,
              duration("--splay", splay, "5s"),
              duration("--stop-timeout", stopTimeout, "10s"));
    } catch (KeyturnException.InvalidInput e) {
      return usage(e.getMessage());
    }
    MappingSpec spec = mapping.spec(io().workingDir());
    try (WireClient client = client();
        TokenRenewer renewer =
            new TokenRenewer(
                    client, line -> io().err().println("keyturn: " + line), Clock.systemUTC())
                .start();
        ConsumerRegistration registration =
            new ConsumerRegistration(
                    client,
                    consumerId == null ? ConsumerRegistration.defaultId("run") : consumerId,
                    ConsumerRegistration.label(
                        // The program's name only: arguments could carry anything.
                        ConsumerRegistration.host()
                            + ": "
                            + java.nio.file.Path.of(command.get(0)).getFileName()),
                    "run",
                    ttl,
                    line -> io().err().println("keyturn: " + line))
                .start()) {
      return new WatchedRun(io(), client, spec, settings, new SecureRandom(), registration)
          .run(command, () -> environment(io(), files, filesOnDisk));
    }
  }

  private static Duration duration(String option, String text, String fallback) {
    try {
      return Durations.parse(text == null ? fallback : text);
    } catch (KeyturnException.InvalidInput e) {
      throw new KeyturnException.InvalidInput(option + ": " + e.getMessage());
    }
  }

  /**
   * Starts {@code command} with {@code variables} (as values, or as {@code _FILE} files with {@code
   * files}) and returns its exit code; shared with {@link FastRun}.
   */
  static int start(
      Io io, Variables variables, List<String> command, String files, boolean filesOnDisk)
      throws InterruptedException {
    try (ChildEnvironment child = environment(io, files, filesOnDisk)) {
      Map<String, String> environment = child.apply(variables);
      io.out().flush();
      io.err().flush();
      try {
        return Supervisor.run(command, environment, io.workingDir(), Supervisor.stdinIsTerminal());
      } catch (Supervisor.StartFailed e) {
        io.err().println("keyturn: " + e.getMessage());
        return e.exitCode();
      }
    }
  }

  /**
   * The child's environment: values as variables, or with {@code files} ("" for a new folder in
   * memory) as {@code _FILE} files in a checked folder.
   *
   * @throws KeyturnException.InvalidInput when the folder is refused (nothing is left behind)
   */
  static ChildEnvironment environment(Io io, String files, boolean filesOnDisk) {
    Consumer<String> errors = line -> io.err().println("keyturn: " + line);
    if (files == null) {
      return new ChildEnvironment(io.env(), Optional.empty(), false, errors);
    }
    if (files.isEmpty()) {
      return new ChildEnvironment(
          io.env(), Optional.of(SecretFolder.createInMemory(io.env())), true, errors);
    }
    Path dir = io.workingDir().resolve(files);
    boolean created = SecretFolder.prepare(dir);
    ChildEnvironment child = new ChildEnvironment(io.env(), Optional.of(dir), created, errors);
    if (!filesOnDisk && !SecretFolder.inMemory(dir)) {
      child.close();
      throw new KeyturnException.InvalidInput(
          dir
              + " is on a disk file system, where values outlive the run: use a folder in"
              + " memory (tmpfs), or give --files-on-disk");
    }
    return child;
  }

  private int usage(String message) {
    io().err().println("keyturn: " + message + " (see 'keyturn run --help')");
    return ExitCode.USAGE;
  }
}
