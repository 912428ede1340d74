package dev.keyturn.cli;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Settings;
import dev.keyturn.core.crypto.RootKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code keyturn root-key split}: the root key as Shamir shares in ssss's format. It reads the key
 * where the server reads it, on this machine; no API hands a root key out. {@code keyturn root-key
 * rotate} is {@link RootKeyRotateCommand}.
 */
@Command(
    name = "root-key",
    mixinStandardHelpOptions = true,
    description = "Splits the root key into Shamir shares, or rotates it.",
    subcommands = {RootKeyCommand.Split.class, RootKeyRotateCommand.class})
final class RootKeyCommand implements Runnable {
  @ParentCommand KeyturnCli root;

  @Override
  public void run() {
    new CommandLine(this).usage(root.io.out());
  }

  @Command(
      name = "split",
      mixinStandardHelpOptions = true,
      description = {
        "Splits the root key into N shares, any K of which rebuild it, and prints one share a"
            + " line (INDEX-HEX, as ssss-split does). 'ssss-combine -t K' rebuilds the key's file"
            + " line from K of them without Keyturn; 'keyturn unseal' takes them one by one.",
        "The key is read on this machine: --key-file, else KEYTURN_ROOT_KEY (or"
            + " KEYTURN_ROOT_KEY_FILE), else root.key in the data folder (--data, else"
            + " KEYTURN_DATA, else ./keyturn-data). Every run makes new, unrelated shares."
      })
  static final class Split implements Callable<Integer> {
    @ParentCommand RootKeyCommand parent;

    @Option(names = "--shares", required = true, paramLabel = "N", description = "2 to 255.")
    int shares;

    @Option(
        names = "--threshold",
        required = true,
        paramLabel = "K",
        description = "How many shares rebuild the key: 2 to N.")
    int threshold;

    @Option(
        names = "--qr",
        paramLabel = "DIR",
        description =
            "Also write share-I.png, a QR code of each share for printing (mode 600; DIR is made"
                + " mode 700 if missing; existing files are never overwritten).")
    Path qrDir;

    @Option(names = "--key-file", paramLabel = "FILE", description = "The root key file to split.")
    Path keyFile;

    @Option(names = "--data", paramLabel = "DIR", description = "The server's data folder.")
    Path data;

    @Override
    public Integer call() {
      Io io = parent.root.io;
      if (threshold < 2 || shares < threshold || shares > 255) {
        throw new KeyturnException.InvalidInput(
            "--threshold K and --shares N need 2 <= K <= N <= 255");
      }
      RootKey key = readKey(io);
      try {
        List<String> split = key.split(shares, threshold, new SecureRandom());
        if (qrDir != null) {
          ShareQrCodes.write(io.workingDir().resolve(qrDir), split);
        }
        for (String share : split) {
          io.out().println(share);
        }
        io.out().flush();
        io.err()
            .println(
                "root key "
                    + key.id()
                    + ": "
                    + shares
                    + " shares, any "
                    + threshold
                    + " rebuild it"
                    + (qrDir != null ? "; QR codes in " + qrDir : "")
                    + ". Give each share to a different person.");
        return ExitCode.OK;
      } finally {
        key.destroy();
      }
    }

    private RootKey readKey(Io io) {
      if (keyFile != null) {
        return fromFile(io.workingDir().resolve(keyFile));
      }
      Settings env = new Settings(io.env());
      Optional<String> fromEnv = env.get("KEYTURN_ROOT_KEY");
      if (fromEnv.isPresent()) {
        return RootKey.fromBase64(fromEnv.get());
      }
      Path dir =
          Optional.ofNullable(data)
              .or(() -> env.get("KEYTURN_DATA").map(Path::of))
              .orElse(Path.of("keyturn-data"));
      return fromFile(io.workingDir().resolve(dir).resolve("root.key"));
    }

    private static RootKey fromFile(Path file) {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new KeyturnException.InvalidInput(
            "no root key file at "
                + file
                + " (a regular file, not a link); give --key-file or --data, or run this on the"
                + " server's machine");
      }
      try {
        return RootKey.fromBase64(Files.readString(file, StandardCharsets.US_ASCII));
      } catch (IOException e) {
        throw new KeyturnException.InvalidInput("cannot read " + file + ": " + e.getMessage());
      }
    }
  }
}
