package dev.keyturn.cli;

import dev.keyturn.api.SealStatus;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.KeyturnException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keyturn unseal}: submits one root key share to a sealed server. The share is read at a
 * prompt that does not echo, or from standard input ({@code --stdin}); never from the command line.
 * Needs no token (a sealed server has none to check); one found is sent as usual.
 */
@Command(
    name = "unseal",
    mixinStandardHelpOptions = true,
    description = {
      "Submits one root key share to a server started sealed.",
      "The share is one line of keyturn root-key split.",
      "Read at a prompt that does not echo, or with --stdin from standard input. Prints how many"
          + " shares the server holds, or that it is open."
    })
final class UnsealCommand extends ClientCommand implements Callable<Integer> {
  @Option(names = "--stdin", description = "Read the share from standard input (one line).")
  boolean stdin;

  @Option(names = "--json", description = "Print sealed, shares_held and threshold as JSON.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    char[] share = readShare();
    try {
      if (share.length == 0) {
        throw new KeyturnException.InvalidInput("no share given");
      }
      WireClient client =
          root().opened(ClientSettings.anyTokenClient(io(), addr(), root().insecureHttp));
      SealStatus status = client.unseal(new String(share).strip());
      if (json) {
        printJson(status);
      } else if (status.sealed()) {
        io().out()
            .println(
                "still sealed: "
                    + status.sharesHeld()
                    + " share(s) held; any "
                    + status.threshold()
                    + " that belong together open it");
      } else {
        io().out().println("unsealed: the server is open");
      }
      return ExitCode.OK;
    } finally {
      Arrays.fill(share, '\0');
    }
  }

  private char[] readShare() throws IOException {
    if (!stdin && io().terminal() && System.console() != null) {
      char[] typed = System.console().readPassword("Share: ");
      return typed == null ? new char[0] : typed;
    }
    String line =
        new BufferedReader(new InputStreamReader(io().in(), StandardCharsets.US_ASCII)).readLine();
    return line == null ? new char[0] : line.strip().toCharArray();
  }
}
