package dev.keyturn.cli;

import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.WireJson;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn get NAME}: prints a value. */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    description = {
      "Prints a secret's value and a newline (JSON values as JSON).",
      "By default the current version; --version N or --stage pending|current|previous."
    })
final class GetCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME")
  String name;

  @ArgGroup(exclusive = true)
  Which which;

  static final class Which {
    @Option(names = "--version", paramLabel = "N", description = "A version number.")
    Integer version;

    @Option(names = "--stage", paramLabel = "STAGE", description = "pending, current or previous.")
    String stage;
  }

  @Option(names = "--raw", description = "Print the exact stored bytes, no newline added.")
  boolean raw;

  @Option(
      names = "--json",
      description = "Print name, version, stage, value and created_at as JSON.")
  boolean json;

  @Override
  public Integer call() {
    SecretValueResponse value =
        client()
            .get(
                name,
                Optional.ofNullable(which).map(w -> w.version),
                Optional.ofNullable(which).map(w -> w.stage));
    if (json) {
      printJson(value);
      return 0;
    }
    String text =
        value.value().isString()
            ? value.value().stringValue()
            : WireJson.mapper().writeValueAsString(value.value());
    io().out().writeBytes(text.getBytes(StandardCharsets.UTF_8));
    if (!raw) {
      io().out().println();
    }
    io().out().flush();
    return 0;
  }
}
