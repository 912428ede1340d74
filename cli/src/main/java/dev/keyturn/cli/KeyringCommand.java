package dev.keyturn.cli;

import dev.keyturn.api.KeyringResponse;
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
          + " newest first, with their values (needs read). A value with a line break or other"
          + " control character is shown JSON-quoted."
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
    KeyringActions.table(io(), KeyringActions.rows(ring));
    return 0;
  }
}
