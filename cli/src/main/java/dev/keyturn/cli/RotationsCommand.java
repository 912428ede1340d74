package dev.keyturn.cli;

import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RotationListResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn rotations NAME}: past and running rotations with their checklists. */
@Command(
    name = "rotations",
    mixinStandardHelpOptions = true,
    description = "Lists a secret's rotations, newest first.")
final class RotationsCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME")
  String name;

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Override
  public Integer call() {
    RotationListResponse list = client().rotations(name);
    if (json) {
      printJson(list);
      return 0;
    }
    Table table = new Table("ID", "STATE", "STARTED", "VERSION", "BY", "CHECKLIST", "REASON");
    for (RotationInfo r : list.rotations()) {
      String checks =
          String.join(
              ", ",
              r.checklist().stream().map(c -> c.name() + (c.ok() ? " ok" : " FAILED")).toList());
      table.row(
          r.id(),
          r.state(),
          r.startedAt(),
          r.pendingVersion(),
          r.requestedBy(),
          checks.isEmpty() ? null : checks,
          r.state().equals("finished") ? null : r.reason());
    }
    table.print(io().out());
    return 0;
  }
}
