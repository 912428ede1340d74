package dev.keyturn.cli;

import dev.keyturn.core.Durations;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.KeyringException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
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
  /** Token input larger than this is not a token worth reading into memory. */
  static final int MAX_TOKEN = 64 << 20;

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
      FernetKeyring ring = client().fernetKeyring(name);
      byte[] plaintext;
      try (InputStream in = input.open(io())) {
        plaintext = in.readAllBytes();
      }
      io().out().println(ring.encrypt(plaintext));
      io().out().flush();
      return ExitCode.OK;
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
      Optional<Duration> maxAge =
          ttl == null ? Optional.empty() : Optional.of(Durations.parse(ttl));
      FernetKeyring ring = client().fernetKeyring(name);
      String token = readToken(input.open(io()));
      byte[] plaintext =
          maxAge.isPresent() ? ring.decrypt(token, maxAge.get()) : ring.decrypt(token);
      io().out().writeBytes(plaintext);
      io().out().flush();
      return ExitCode.OK;
    }
  }

  /** The token text, without surrounding white space (echo's newline). */
  static String readToken(InputStream in) throws IOException {
    try (in) {
      byte[] bytes = in.readNBytes(MAX_TOKEN + 1);
      if (bytes.length > MAX_TOKEN) {
        throw new KeyringException.InvalidToken();
      }
      return new String(bytes, StandardCharsets.ISO_8859_1).strip();
    }
  }
}
