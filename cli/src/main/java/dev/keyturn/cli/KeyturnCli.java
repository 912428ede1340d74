package dev.keyturn.cli;

import dev.keyturn.core.KeyturnVersion;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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
    subcommands = {
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
      RotationCommand.class,
      TargetCommand.class,
      RotateCommand.class,
      RotationsCommand.class,
      StatusCommand.class,
      RunCommand.class,
      RenderCommand.class,
      HelpCommand.class,
    },
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
  final Io io;

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
    CommandLine cli = new CommandLine(new KeyturnCli(io));
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
    return cli.execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(io.out());
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
