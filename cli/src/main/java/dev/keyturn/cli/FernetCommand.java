package dev.keyturn.cli;

import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code keyturn fernet encrypt|decrypt}: Fernet tokens as Python's {@code MultiFernet} makes. */
@Command(
    name = "fernet",
    mixinStandardHelpOptions = true,
    description = {
      "Encrypts and decrypts Fernet tokens with a secret's keyring, as Python cryptography's"
          + " MultiFernet does.",
      "Encrypts under the current version; decrypts with the current, pending, then previous"
          + " ones."
    },
    subcommands = {FernetCommand.Encrypt.class, FernetCommand.Decrypt.class})
final class FernetCommand implements Runnable {
  @ParentCommand KeyturnCli root;

  @Override
  public void run() {
    new CommandLine(this).usage(root.io.out());
  }

  @Command(
      name = "encrypt",
      mixinStandardHelpOptions = true,
      description = "Prints a token of the input (its exact bytes) and a newline.")
  static final class Encrypt extends ClientCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME")
    String name;

    @ArgGroup(exclusive = true, multiplicity = "1")
    BodyInput input;

    @Override
    public Integer call() throws IOException {
      return KeyringActions.encrypt(io(), () -> client().fernetKeyring(name), input.file());
    }
  }

  @Command(
      name = "decrypt",
      mixinStandardHelpOptions = true,
      description = {
        "Reads a token (surrounding white space ignored) and prints its plaintext exactly,"
            + " no newline added.",
        "Exits 3 with 'invalid token' for a token no version opens, malformed, or outside"
            + " --ttl."
      })
  static final class Decrypt extends ClientCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(
        names = "--ttl",
        paramLabel = "D",
        description =
            "Refuse tokens older than D (e.g. 15m, 24h), or stamped more than 60 s ahead.")
    String ttl;

    @ArgGroup(exclusive = true, multiplicity = "1")
    BodyInput input;

    @Override
    public Integer call() throws IOException {
      return KeyringActions.decrypt(io(), () -> client().fernetKeyring(name), ttl, input.file());
    }
  }
}
