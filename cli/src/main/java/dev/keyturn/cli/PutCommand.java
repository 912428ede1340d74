package dev.keyturn.cli;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.api.WriteResponse;
import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** {@code keyturn put NAME ...}: stores a new version. */
@Command(
    name = "put",
    mixinStandardHelpOptions = true,
    description = {
      "Stores a new version of a secret.",
      "It becomes current (or pending with --pending). Give the value with --stdin or --file"
          + " (the safe ways), have the server make it with --generate, or, for demos only, on"
          + " the command line with --value or --value-json."
    })
final class PutCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME", description = "Secret name, e.g. app/production/SECRET_KEY")
  String name;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Option(names = "--stdin", description = "Read the value from standard input.")
    boolean stdin;

    @Option(names = "--file", paramLabel = "FILE", description = "Read the value from FILE.")
    Path file;

    @Option(
        names = "--generate",
        paramLabel = "SPEC",
        description = "Have the server generate the value, e.g. hex:32, django, fernet.")
    String generate;

    @Option(
        names = "--value",
        paramLabel = "VALUE",
        description = "The value itself. For demos only: ps and shell history see it.")
    String value;

    @Option(
        names = "--value-json",
        paramLabel = "JSON",
        description = "A JSON object. For demos only: ps and shell history see it.")
    String valueJson;
  }

  @Option(
      names = "--type",
      paramLabel = "TYPE",
      description = "string (default) or json: with --stdin or --file, the input is a JSON object.")
  String type = "string";

  @Option(
      names = "--keep-newline",
      description =
          "Keep a trailing newline of --stdin or --file input (one is removed by default).")
  boolean keepNewline;

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      description =
          "Keep the replaced version valid as previous this long, e.g. 24h (default: retire it at once).")
  String grace;

  @Option(names = "--pending", description = "Store the version as pending instead of current.")
  boolean pending;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Option(
      names = "--allow-placeholder",
      description =
          "Store the value even if it looks like a placeholder (CHANGE_ME, <your-key>,"
              + " django-insecure-...); the server audits it (docs/doctor.md).")
  boolean allowPlaceholder;

  @Override
  public Integer call() throws IOException {
    if (!type.equals("string") && !type.equals("json")) {
      throw new KeyturnException.InvalidInput("--type is string or json, not '" + type + "'");
    }
    PutSecretRequest request;
    String stage = pending ? "pending" : null;
    if (source.generate != null) {
      request = new PutSecretRequest(null, null, source.generate, grace, stage, allow());
    } else if (source.value != null) {
      request = new PutSecretRequest(source.value, null, null, grace, stage, allow());
    } else if (source.valueJson != null) {
      request =
          new PutSecretRequest(
              null, object(source.valueJson, "--value-json"), null, grace, stage, allow());
    } else {
      byte[] bytes = source.stdin ? io().in().readAllBytes() : readFile(source.file);
      String text =
          ValueInput.utf8(
              ValueInput.trimNewline(bytes, keepNewline),
              source.stdin ? "standard input" : source.file.toString());
      Arrays.fill(bytes, (byte) 0);
      request =
          type.equals("json")
              ? new PutSecretRequest(
                  null,
                  object(text, source.stdin ? "standard input" : source.file.toString()),
                  null,
                  grace,
                  stage,
                  allow())
              : new PutSecretRequest(text, null, null, grace, stage, allow());
    }
    if (source.value != null || source.valueJson != null) {
      warnVisible(source.value != null ? "--value" : "--value-json");
    }
    WriteResponse written = client().put(name, request);
    warn(io(), name, written.warnings());
    if (json) {
      printJson(written);
    } else {
      io().out().println(name + ": version " + written.version() + " is " + written.stage());
    }
    return 0;
  }

  /** One stderr line per hygiene check a stored value failed: the check's id, never the value. */
  static void warn(Io io, String name, java.util.List<String> warnings) {
    for (String warning : warnings) {
      io.err()
          .println(
              "keyturn: warning: "
                  + name
                  + ": the stored value fails the hygiene check "
                  + warning
                  + " (see docs/doctor.md)");
    }
  }

  private Boolean allow() {
    return allowPlaceholder ? Boolean.TRUE : null;
  }

  private void warnVisible(String option) {
    io().err()
        .println(
            "keyturn: warning: a value given with "
                + option
                + " is visible to other users in ps and stays in your shell history; use"
                + " --stdin or --file for a real secret");
  }

  private static byte[] readFile(Path file) throws IOException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new KeyturnException.InvalidInput(file + ": no such file");
    }
  }

  private static JsonNode object(String text, String source) {
    JsonNode node;
    try {
      node = WireJson.mapper().readTree(text);
    } catch (JacksonException e) {
      // Never quote the parser's message: it may contain part of the secret.
      throw new KeyturnException.InvalidInput(source + " is not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw new KeyturnException.InvalidInput(source + " must be a JSON object");
    }
    return node;
  }
}
