package dev.keyturn.cli;

import dev.keyturn.api.HistoryResponse;
import dev.keyturn.api.VersionInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn history NAME}: every version, metadata only. */
@Command(
    name = "history",
    mixinStandardHelpOptions = true,
    description = "Lists every version of a secret, newest first (no values).")
final class HistoryCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME")
  String name;

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Override
  public Integer call() {
    HistoryResponse history = client().history(name);
    if (json) {
      printJson(history);
      return 0;
    }
    Table table =
        new Table("VERSION", "STAGE", "TYPE", "CREATED", "BY", "ACCEPT UNTIL", "FINGERPRINT");
    for (VersionInfo v : history.versions()) {
      table.row(
          v.version(),
          v.stage(),
          v.type(),
          v.createdAt(),
          v.createdBy(),
          v.acceptUntil(),
          v.fingerprint());
    }
    table.print(io().out());
    return 0;
  }
}
