package dev.keyturn.cli;

import dev.keyturn.api.SealResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keyturn seal}: seals a running server ({@code POST /v1/seal}, {@code admin:*}): it drops
 * the root key and every data key from memory and answers 503 {@code sealed} until unsealed.
 */
@Command(
    name = "seal",
    mixinStandardHelpOptions = true,
    description = {
      "Seals the server: drops the root key and data keys from memory.",
      "Needs an admin:* token. Until it is unsealed, every route but health and unseal answers"
          + " 503 sealed. A server started with --unseal-shares K opens again with K shares"
          + " (keyturn unseal); one started without opens only by a restart with its root key."
          + " A root key given in KEYTURN_ROOT_KEY stays in the server's environment."
    })
final class SealCommand extends ClientCommand implements Callable<Integer> {
  @Option(
      names = "--json",
      description = "Print sealed, root_key_id, unseal_with, threshold and note as JSON.")
  boolean json;

  @Override
  public Integer call() {
    SealResponse sealed = client().seal();
    if (json) {
      printJson(sealed);
      return ExitCode.OK;
    }
    io().out()
        .println(
            "sealed: root key "
                + sealed.rootKeyId()
                + " and every data key dropped from the server's memory");
    io().out()
        .println(
            sealed.unsealWith().equals("shares")
                ? "to open: " + sealed.threshold() + " root key shares with 'keyturn unseal'"
                : "to open: restart the server with its root key (it was started without"
                    + " --unseal-shares)");
    if (!sealed.note().isEmpty()) {
      io().out().println("note: " + sealed.note());
    }
    return ExitCode.OK;
  }
}
