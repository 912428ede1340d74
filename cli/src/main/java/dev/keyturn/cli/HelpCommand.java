package dev.keyturn.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code keyturn help [COMMAND [SUBCOMMAND]] | help exit-codes}. */
@Command(
    name = "help",
    helpCommand = true,
    description = {
      "Shows the help of a command, or the exit codes.",
      "keyturn help token create shows the help of 'token create'; keyturn help exit-codes"
          + " the exit codes of every command."
    })
final class HelpCommand implements Callable<Integer> {
  static final String EXIT_CODES = "exit-codes";
  private static final List<String> SERVER_SIDE = List.of("server", "operator");

  @ParentCommand KeyturnCli root;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "A command, or exit-codes.")
  List<String> words = List.of();

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Override
  public Integer call() {
    if (words.equals(List.of(EXIT_CODES))) {
      root.io.out().print(ExitCode.table());
      root.io.out().flush();
      return ExitCode.OK;
    }
    if (!words.isEmpty() && SERVER_SIDE.contains(words.get(0))) {
      // run by the server module, not this CLI: their own --help describes them
      root.io.out().println("see: keyturn " + words.get(0) + " --help");
      return ExitCode.OK;
    }
    CommandLine command = spec.root().commandLine();
    for (String word : words) {
      CommandLine sub = command.getSubcommands().get(word);
      if (sub == null) {
        root.io
            .err()
            .println(
                "keyturn: no command '"
                    + String.join(" ", words)
                    + "' (see 'keyturn help' for the list)");
        return ExitCode.USAGE;
      }
      command = sub;
    }
    command.usage(root.io.out());
    return ExitCode.OK;
  }
}
