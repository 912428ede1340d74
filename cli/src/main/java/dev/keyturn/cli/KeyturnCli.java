package dev.keyturn.cli;

import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.KeyturnVersion;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code keyturn} command. Errors are one line on standard error; exit codes follow the one
 * table in {@link ExitCode} ({@code docs/cli.md}). Nothing a command prints on an error contains a
 * secret value.
 */
@Command(
    name = "keyturn",
    mixinStandardHelpOptions = true,
    versionProvider = KeyturnCli.Version.class,
    description = "Generates, stores, rotates and audits secrets.",
    footer = {
      "",
      "  server     Runs the Keyturn server (keyturn server --help).",
      "  operator   Local recovery with no server running (keyturn operator --help).",
      "",
      "Environment: KEYTURN_ADDR (default http://127.0.0.1:8270), KEYTURN_TOKEN or",
      "KEYTURN_TOKEN_FILE (else ~/.keyturn/token, else ./keyturn-data/root.token),",
      "KEYTURN_CACERT (PEM CA certificates to trust for HTTPS).",
      "Exit codes: keyturn help exit-codes."
    })
public final class KeyturnCli implements Runnable {
  /**
   * The commands, in the order help lists them. Only the one a command line names is built: picocli
   * reads every option of every command it is given by reflection, which cost a short command about
   * half a second.
   */
  static final List<Class<?>> COMMANDS =
      List.of(
          GenerateCommand.class,
          PutCommand.class,
          GetCommand.class,
          LsCommand.class,
          HistoryCommand.class,
          DescribeCommand.class,
          StageCommand.class,
          RmCommand.class,
          LoginCommand.class,
          TokenCommand.class,
          AuditCommand.class,
          BackupCommand.class,
          RotationCommand.class,
          TargetCommand.class,
          RotateCommand.class,
          RotationsCommand.class,
          StatusCommand.class,
          ConsumersCommand.class,
          RunCommand.class,
          RenderCommand.class,
          DoctorCommand.class,
          ScanCommand.class,
          AgentCommand.class,
          KeyringCommand.class,
          HmacCommand.class,
          FernetCommand.class,
          JwtCommand.class,
          RootKeyCommand.class,
          SealCommand.class,
          UnsealCommand.class,
          HelpCommand.class);

  final Io io;

  /**
   * The clients this command line opened, closed when it ends: an open JDK HTTP client keeps a
   * selector thread that holds the JVM about 300 ms at exit.
   */
  private final List<WireClient> opened = new ArrayList<>();

  @Option(
      names = "--addr",
      scope = ScopeType.INHERIT,
      paramLabel = "URL",
      description =
          "Server address (default: KEYTURN_ADDR, else the server on this machine:"
              + " http://127.0.0.1:8270).")
  String addr;

  @Option(
      names = "--insecure-http",
      scope = ScopeType.INHERIT,
      description =
          "Send the token over plain http:// to a host that is not this machine. Anyone on the"
              + " network path can then read the token and use it; without this option such an"
              + " address is refused.")
  boolean insecureHttp;

  KeyturnCli(Io io) {
    this.io = io;
  }

  public static void main(String[] args) {
    int code = run(Io.system(), args);
    System.out.flush();
    System.exit(code);
  }

  /** Runs one command line and returns its exit code. */
  static int run(Io io, String... args) {
    CommandLine cli = commandLine(io, args);
    cli.setOut(new PrintWriter(io.out(), true, StandardCharsets.UTF_8));
    cli.setErr(new PrintWriter(io.err(), true, StandardCharsets.UTF_8));
    cli.setParameterExceptionHandler((e, rest) -> {
      String command = e.getCommandLine().getCommandName();
      io.err().println("keyturn: " + e.getMessage() + " (see '" + qualified(command) + " --help')");
      return ExitCode.USAGE;
    });
    cli.setExecutionExceptionHandler((e, command, parsed) -> {
      io.err().println("keyturn: " + message(e));
      return ExitCode.of(e);
    });
    try {
      return cli.execute(args);
    } finally {
      ((KeyturnCli) cli.getCommand()).closeClients();
    }
  }

  /**
   * The command tree for a command line: the root and the one command the line names, or every
   * command when it names none, {@code help}, or a word that is no command (so that help and
   * picocli's suggestions see them all).
   */
  static CommandLine commandLine(Io io, String... args) {
    CommandLine cli = new CommandLine(new KeyturnCli(io));
    Optional<String> word = commandWord(args);
    boolean one = word.isPresent() && !word.get().equals("help") && NAMES.contains(word.get());
    for (Class<?> command : COMMANDS) {
      if (!one || name(command).equals(word.get())) {
        cli.addSubcommand(command);
      }
    }
    return cli;
  }

  private static final List<String> NAMES = COMMANDS.stream().map(KeyturnCli::name).toList();

  private static String name(Class<?> command) {
    return command.getAnnotation(Command.class).name();
  }

  /** The first word that is not a root option or its value, if any comes before {@code --}. */
  private static Optional<String> commandWord(String... args) {
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--")) {
        return Optional.empty();
      }
      if (arg.equals("--addr")) {
        i++;
      } else if (!arg.startsWith("-")) {
        return Optional.of(arg);
      }
    }
    return Optional.empty();
  }

  /** Registers a client to close when the command line ends; returns it. */
  WireClient opened(WireClient client) {
    opened.add(client);
    return client;
  }

  private void closeClients() {
    for (WireClient client : opened) {
      client.close();
    }
    opened.clear();
  }

  @Override
  public void run() {
    commandLine(io).usage(io.out());
  }

  private static String qualified(String command) {
    return command.equals("keyturn") ? "keyturn" : "keyturn " + command;
  }

  /** The one-line message for an error; for unexpected errors the type only, never the text. */
  static String message(Throwable e) {
    return ExitCode.message(e);
  }

  /** Prints {@code keyturn VERSION}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"keyturn " + KeyturnVersion.get()};
    }
  }
}
