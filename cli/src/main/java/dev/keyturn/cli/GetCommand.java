package dev.keyturn.cli;

import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.KeyturnException;
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
    description = {
      "Prints a secret's value and a newline (JSON values as JSON).",
      "The current version, or the one --version or --stage names. Retired versions are read"
          + " by number, with the admin capability."
    })
final class GetCommand extends ClientCommand implements Callable<Integer> {
  // Not mixinStandardHelpOptions: its -V/--version would clash with get's own --version N.
  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Parameters(paramLabel = "NAME")
  String name;

  /** The stages a value can be read by; retired versions are read by number only. */
  enum ReadableStage {
    pending,
    current,
    previous
  }

  @ArgGroup(exclusive = true)
  Which which;

  static final class Which {
    @Option(names = "--version", paramLabel = "N", description = "A version number.")
    Integer version;

    @Option(
        names = "--stage",
        paramLabel = "STAGE",
        description = "${COMPLETION-CANDIDATES}: the newest version at that stage.")
    ReadableStage stage;
  }

  @Option(names = "--raw", description = "Print the exact stored bytes, no newline added.")
  boolean raw;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      description =
          "value (default); for a database secret: url (a postgresql:// URL with user and"
              + " password percent-encoded) or jdbc (a jdbc:postgresql:// URL with user and"
              + " password parameters).")
  String format;

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
                Optional.ofNullable(which).map(w -> w.stage).map(Enum::name));
    if (json) {
      printJson(value);
      return 0;
    }
    String text =
        value.value().isString()
            ? value.value().stringValue()
            : WireJson.mapper().writeValueAsString(value.value());
    if (format != null && !format.equals("value")) {
      text = render(text, format);
    }
    Listings.value(io(), text, raw);
    return 0;
  }

  /** The value as a connection URL; never echoes the value in an error. */
  private String render(String value, String format) {
    if (!format.equals("url") && !format.equals("jdbc")) {
      throw new KeyturnException.InvalidInput("--format is value, url or jdbc");
    }
    DatabaseSecret secret;
    try {
      secret = DatabaseSecret.parse(value.getBytes(StandardCharsets.UTF_8));
      return format.equals("url") ? secret.url() : secret.jdbcUrl();
    } catch (DatabaseSecret.Invalid e) {
      throw new KeyturnException.InvalidInput(
          name + " is not a database secret (" + e.getMessage() + ")");
    }
  }
}
