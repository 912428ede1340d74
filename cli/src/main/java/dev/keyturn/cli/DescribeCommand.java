package dev.keyturn.cli;

import dev.keyturn.api.MetadataResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn describe NAME}: metadata, never the value. */
@Command(
    name = "describe",
    mixinStandardHelpOptions = true,
    description = "Shows a secret's metadata (never its value).")
final class DescribeCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME")
  String name;

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Override
  public Integer call() {
    MetadataResponse m = client().describe(name);
    if (json) {
      printJson(m);
      return 0;
    }
    Table table = new Table("FIELD", "VALUE");
    table.row("name", m.name());
    table.row("type", m.type());
    table.row("current version", m.currentVersion());
    table.row("pending version", m.pendingVersion());
    table.row("previous version", m.previousVersion());
    table.row("versions", m.versionCount());
    table.row("created", m.createdAt());
    table.row("updated", m.updatedAt());
    table.row("deleted", m.deleted() ? (m.destroyed() ? "yes, values destroyed" : "yes") : "no");
    table.print(io().out());
    return 0;
  }
}
