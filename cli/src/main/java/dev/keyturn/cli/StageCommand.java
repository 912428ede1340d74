package dev.keyturn.cli;

import dev.keyturn.api.StageRequest;
import dev.keyturn.api.WriteResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn stage NAME VERSION STAGE}: moves a version. */
@Command(
    name = "stage",
    mixinStandardHelpOptions = true,
    description = {
      "Moves a version to another stage.",
      "Allowed: pending->current (promote), pending->retired (roll back), previous->retired,"
          + " previous->current (an admin's roll-back). Making a version current demotes the old"
          + " current one (previous for --grace, else retired)."
    })
final class StageCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME")
  String name;

  @Parameters(index = "1", paramLabel = "VERSION")
  int version;

  @Parameters(index = "2", paramLabel = "STAGE", description = "current, previous or retired")
  String stage;

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      description = "When promoting: keep the replaced version valid this long.")
  String grace;

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Override
  public Integer call() {
    WriteResponse moved = client().stage(name, new StageRequest(version, stage, grace));
    if (json) {
      printJson(moved);
    } else {
      io().out().println(name + ": version " + moved.version() + " is " + moved.stage());
    }
    return 0;
  }
}
