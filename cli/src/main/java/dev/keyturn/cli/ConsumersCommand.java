package dev.keyturn.cli;

import dev.keyturn.api.ConsumerHolding;
import dev.keyturn.api.ConsumerInfo;
import dev.keyturn.api.ConsumerListResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn consumers NAME}: the live consumers of a secret and the versions they hold. */
@Command(
    name = "consumers",
    mixinStandardHelpOptions = true,
    description =
        "Lists the live consumers of a secret (run --watch, agents, SDKs) and the versions they"
            + " use and accept.")
final class ConsumersCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME")
  String name;

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Override
  public Integer call() {
    ConsumerListResponse list = client().consumers(name);
    if (json) {
      printJson(list);
      return 0;
    }
    Table table = new Table("ID", "KIND", "NAME", "USING", "ACCEPTING", "TOKEN", "LAST SEEN");
    for (ConsumerInfo c : list.consumers()) {
      ConsumerHolding h = c.secrets().get(0);
      table.row(
          c.id(),
          c.kind(),
          c.name(),
          h.using(),
          h.accepting() == null || h.accepting().isEmpty()
              ? null
              : String.join(",", h.accepting().stream().map(String::valueOf).toList()),
          c.tokenId(),
          c.lastSeen());
    }
    table.print(io().out());
    return 0;
  }
}
