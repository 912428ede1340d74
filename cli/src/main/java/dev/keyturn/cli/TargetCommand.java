package dev.keyturn.cli;

import dev.keyturn.api.SetupResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code keyturn target setup NAME}: prepares the target of a secret's rotation rule. */
@Command(
    name = "target",
    mixinStandardHelpOptions = true,
    description = "Prepares the target a secret rotates against (needs admin).",
    subcommands = {TargetCommand.Setup.class})
final class TargetCommand implements Runnable {
  @ParentCommand KeyturnCli root;

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(root.io.out());
  }

  @Command(
      name = "setup",
      mixinStandardHelpOptions = true,
      description = {
        "Prepares and checks a secret's rotation target. Safe to run again.",
        "Checks that the server refuses a wrong password and the current one logs in; for"
            + " alternating users also creates the second user and the owner role, moves objects"
            + " and grants to the role, and checks that both users are equal."
      })
  static final class Setup extends ClientCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() {
      SetupResponse done = client().setupTarget(name);
      if (json) {
        printJson(done);
        return 0;
      }
      for (String action : done.actions()) {
        io().out().println(action);
      }
      io().out().flush();
      return 0;
    }
  }
}
