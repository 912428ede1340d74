package dev.keyturn.cli;

import dev.keyturn.api.DeleteResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn rm NAME}: retires every version. */
@Command(
    name = "rm",
    mixinStandardHelpOptions = true,
    description = {
      "Deletes a secret: retires every version.",
      "Retired versions stay encrypted for audit and recovery (admins read them by number);"
          + " --destroy erases them for good."
    })
final class RmCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME")
  String name;

  @Option(
      names = "--destroy",
      description = "Also erase every stored value and the data key. Cannot be undone.")
  boolean destroy;

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Override
  public Integer call() {
    DeleteResponse deleted = client().delete(name, destroy);
    if (json) {
      printJson(deleted);
    } else {
      io().out()
          .println(
              name
                  + ": "
                  + deleted.versionCount()
                  + " version(s) retired"
                  + (deleted.destroyed() ? ", values destroyed" : ""));
    }
    return 0;
  }
}
