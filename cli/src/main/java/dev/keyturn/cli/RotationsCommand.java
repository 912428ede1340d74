package dev.keyturn.cli;

import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RotationListResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keyturn rotations NAME}, or {@code keyturn rotations --prefix P [--state S]}: past and
 * running rotations with their checklists.
 */
@Command(
    name = "rotations",
    mixinStandardHelpOptions = true,
    description = {
      "Lists a secret's rotations, newest first.",
      "Without NAME: the rotations of every secret under --prefix that the token may rotate",
      "(--state: active, create, set, test, finish, rollback, finished or failed)."
    })
final class RotationsCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME", arity = "0..1")
  String name;

  @Option(names = "--prefix", paramLabel = "P", description = "Secrets under P (without NAME).")
  String prefix;

  @Option(
      names = "--state",
      paramLabel = "S",
      description = "Only rotations in this state, or active (without NAME).")
  String state;

  @Option(names = "--limit", paramLabel = "N", description = "At most N rotations (default 50).")
  Integer limit;

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Override
  public Integer call() {
    if (name != null && (prefix != null || state != null)) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "give NAME, or --prefix and --state, not both");
    }
    RotationListResponse list =
        name != null
            ? client().rotations(name)
            : client()
                .recentRotations(
                    prefix == null ? "" : prefix,
                    java.util.Optional.ofNullable(state),
                    java.util.Optional.ofNullable(limit));
    if (json) {
      printJson(list);
      return 0;
    }
    // The secret's column only across secrets: one secret's table keeps the columns it had.
    boolean across = name == null;
    Table table =
        across
            ? new Table("ID", "SECRET", "STATE", "STARTED", "VERSION", "BY", "CHECKLIST", "REASON")
            : new Table("ID", "STATE", "STARTED", "VERSION", "BY", "CHECKLIST", "REASON");
    for (RotationInfo r : list.rotations()) {
      String checks =
          String.join(
              ", ",
              r.checklist().stream().map(c -> c.name() + (c.ok() ? " ok" : " FAILED")).toList());
      String reason = r.state().equals("finished") ? null : r.reason();
      String checklist = checks.isEmpty() ? null : checks;
      if (across) {
        table.row(
            r.id(),
            r.secret(),
            r.state(),
            r.startedAt(),
            r.pendingVersion(),
            r.requestedBy(),
            checklist,
            reason);
      } else {
        table.row(
            r.id(),
            r.state(),
            r.startedAt(),
            r.pendingVersion(),
            r.requestedBy(),
            checklist,
            reason);
      }
    }
    table.print(io().out());
    return 0;
  }
}
