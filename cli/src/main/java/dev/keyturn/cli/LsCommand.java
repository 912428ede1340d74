package dev.keyturn.cli;

import dev.keyturn.api.SecretListResponse;
import dev.keyturn.api.SecretSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn ls [PREFIX]}: lists secret names (all pages). */
@Command(
    name = "ls",
    mixinStandardHelpOptions = true,
    description = "Lists secrets whose names start with PREFIX.")
final class LsCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "PREFIX", arity = "0..1", description = "e.g. app/production/")
  String prefix = "";

  @Option(names = "--json", description = "Print {\"secrets\": [...]} as JSON.")
  boolean json;

  @Override
  public Integer call() {
    List<SecretSummary> all = new ArrayList<>();
    Optional<String> page = Optional.empty();
    do {
      SecretListResponse response = client().list(prefix, page);
      all.addAll(response.secrets());
      page = Optional.ofNullable(response.nextPageToken());
    } while (page.isPresent());
    if (json) {
      printJson(new SecretListResponse(all, null));
      return 0;
    }
    Listings.secrets(io(), prefix, all);
    return 0;
  }
}
