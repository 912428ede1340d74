package dev.keyturn.cli;

import dev.keyturn.api.RootKeyStatus;
import dev.keyturn.core.KeyturnException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keyturn root-key rotate}: starts (or resumes) a root key rotation on the server ({@code
 * POST /v1/root-key/rotate}, {@code admin:*}) and waits for its end, polling {@code GET
 * /v1/root-key}. Exit 0 once the new key is in force; 1 if the rotation stopped (it stays recorded,
 * and running the command again resumes it).
 *
 * <p>For a share-held key, {@code --shares N} prints the new key's shares (the only time they are
 * shown) and changes nothing; {@code --confirm} reads K of them back (at prompts that do not echo,
 * or one a line from standard input with {@code --stdin}) and begins the rotation, then waits.
 */
@Command(
    name = "rotate",
    mixinStandardHelpOptions = true,
    description = {
      "Rotates the server's root key: a new key is written to DATA/root.key.new, every data key is"
          + " rewrapped by it in batches while reads and writes go on, then it becomes"
          + " DATA/root.key and the old key is kept as DATA/root.key.old-ID. A crash resumes at"
          + " the next start. Needs an admin:* token and a server whose key comes from"
          + " DATA/root.key or shares (not KEYTURN_ROOT_KEY), with no other node on its store.",
      "A key rebuilt from shares (a server started with --unseal-shares K) is rotated in two"
          + " steps: --shares N prints N shares of a new key, any K of which rebuild it (shown"
          + " this once; nothing changes yet); save them, then --confirm reads K of them back and"
          + " begins the rotation. Until it ends, the old key's shares unseal too; then only the"
          + " new ones.",
      "Waits for the end unless --detach; running it again resumes a stopped rotation."
    })
final class RootKeyRotateCommand extends ClientCommand implements Callable<Integer> {
  @Option(names = "--detach", description = "Return once the rotation has started.")
  boolean detach;

  @Option(
      names = "--shares",
      paramLabel = "N",
      description =
          "Share-held key: make a new key and print its N shares, one a line (K to 255; K is the"
              + " server's --unseal-shares).")
  Integer shares;

  @Option(
      names = "--qr",
      paramLabel = "DIR",
      description =
          "With --shares: also write share-I.png, a QR code of each new share (as root-key"
              + " split --qr).")
  Path qrDir;

  @Option(
      names = "--confirm",
      description =
          "Share-held key: read K of the new shares back and begin the rotation to their key.")
  boolean confirm;

  @Option(
      names = "--stdin",
      description = "With --confirm: read the shares from standard input, one a line.")
  boolean stdin;

  @Option(
      names = "--json",
      description =
          "Print the final state (root_key_id, state, from, to, rewrapped, key_file, note) as"
              + " JSON.")
  boolean json;

  @Override
  public Integer call() throws InterruptedException, IOException {
    if (shares != null && confirm) {
      throw new KeyturnException.InvalidInput("--shares and --confirm are two separate steps");
    }
    if (qrDir != null && shares == null) {
      throw new KeyturnException.InvalidInput("--qr goes with --shares");
    }
    if (stdin && !confirm) {
      throw new KeyturnException.InvalidInput("--stdin goes with --confirm");
    }
    if (shares != null) {
      return issueShares();
    }
    RootKeyStatus status;
    if (confirm) {
      List<String> typed = readShares(client().rootKey().threshold());
      status = client().confirmRootKey(typed);
    } else {
      status = client().rotateRootKey();
    }
    if (!json) {
      io().out()
          .println("root key rotation from " + status.from() + " to " + status.to() + ": started");
    }
    while (!detach && status.state().equals("rotating")) {
      Thread.sleep(500);
      status = client().rootKey();
    }
    if (json) {
      printJson(status);
    } else if (status.state().equals("rotating")) {
      io().out()
          .println(
              "rotating; 'keyturn root-key rotate' again shows it, and resumes it after a stop");
    } else if (status.state().equals("idle")) {
      io().out()
          .println(
              "root key "
                  + status.rootKeyId()
                  + " in force ("
                  + status.rewrapped()
                  + " data keys rewrapped); "
                  + (status.keyFile().isEmpty()
                      ? "held by its shares only"
                      : "key file " + status.keyFile()));
      if (!status.note().isEmpty()) {
        io().out().println("note: " + status.note());
      }
    }
    if (status.state().equals("failed")) {
      io().err().println("keyturn root-key rotate: " + status.note());
      return ExitCode.ERROR;
    }
    return ExitCode.OK;
  }

  private int issueShares() {
    RootKeyStatus status = client().rotateRootKey(shares);
    if (qrDir != null) {
      ShareQrCodes.write(io().workingDir().resolve(qrDir), status.newShares());
    }
    if (json) {
      printJson(status);
    } else {
      for (String share : status.newShares()) {
        io().out().println(share);
      }
    }
    io().out().flush();
    io().err()
        .println(
            "new root key "
                + status.to()
                + ": "
                + status.newShares().size()
                + " shares, any "
                + status.threshold()
                + " rebuild it"
                + (qrDir != null ? "; QR codes in " + qrDir : "")
                + ". Shown this once: save them, then run 'keyturn root-key rotate --confirm'"
                + " with "
                + status.threshold()
                + " of them. Until then nothing has changed.");
    return ExitCode.OK;
  }

  /** Reads {@code threshold} shares at prompts that do not echo, or every line of stdin. */
  private List<String> readShares(int threshold) throws IOException {
    if (threshold < 2) {
      throw new KeyturnException.InvalidInput(
          "--confirm is for a server whose root key was rebuilt from shares");
    }
    List<String> read = new ArrayList<>();
    if (!stdin && io().terminal() && System.console() != null) {
      for (int i = 1; i <= threshold; i++) {
        char[] typed = System.console().readPassword("New share %d of %d: ", i, threshold);
        if (typed == null) {
          break;
        }
        read.add(new String(typed).strip());
        Arrays.fill(typed, '\0');
      }
    } else {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(io().in(), StandardCharsets.US_ASCII));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (!line.isBlank()) {
          read.add(line.strip());
        }
      }
    }
    if (read.isEmpty()) {
      throw new KeyturnException.InvalidInput("no share given");
    }
    return read;
  }
}
