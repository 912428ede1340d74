package dev.keyturn.cli;

import dev.keyturn.api.StatusResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn status [PREFIX]}: the rotation status board. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Shows every secret (with or without a rule): owner, strategy, last rotated, next due,"
            + " grace, state.")
final class StatusCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "PREFIX", arity = "0..1")
  String prefix = "";

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Override
  public Integer call() {
    StatusResponse status = client().status(prefix);
    if (json) {
      printJson(status);
      return 0;
    }
    Listings.status(io(), status);
    return 0;
  }
}
