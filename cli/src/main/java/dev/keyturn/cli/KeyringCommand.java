package dev.keyturn.cli;

import dev.keyturn.api.KeyringEntry;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.WireJson;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn keyring NAME}: the values a verifier or decrypter should accept now. */
@Command(
    name = "keyring",
    mixinStandardHelpOptions = true,
    description = {
      "Prints a secret's keyring: the values a verifier or decrypter should accept now.",
      "The pending version, the current one and previous ones still in their grace window,"
          + " newest first, with their values (needs read)."
    })
final class KeyringCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "NAME")
  String name;

  @Option(
      names = "--json",
      description =
          "Print the API's answer: name, and versions with version, stage, value and"
              + " accept_until.")
  boolean json;

  @Override
  public Integer call() {
    KeyringResponse ring = client().keyring(name);
    if (json) {
      printJson(ring);
      return 0;
    }
    Table table = new Table("VERSION", "STAGE", "ACCEPT UNTIL", "VALUE");
    for (KeyringEntry e : ring.versions()) {
      table.row(e.version(), e.stage(), e.acceptUntil(), cell(e));
    }
    table.print(io().out());
    io().out().flush();
    return 0;
  }

  /** The value as {@code get} prints it, or JSON-quoted when it holds a line break or control. */
  private static String cell(KeyringEntry e) {
    String text =
        e.value().isString()
            ? e.value().stringValue()
            : WireJson.mapper().writeValueAsString(e.value());
    boolean plain = !text.isEmpty() && text.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
    return plain ? text : WireJson.mapper().writeValueAsString(text);
  }
}
