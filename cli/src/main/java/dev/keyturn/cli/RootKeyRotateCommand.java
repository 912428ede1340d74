package dev.keyturn.cli;

import dev.keyturn.api.RootKeyStatus;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keyturn root-key rotate}: starts (or resumes) a root key rotation on the server ({@code
 * POST /v1/root-key/rotate}, {@code admin:*}) and waits for its end, polling {@code GET
 * /v1/root-key}. Exit 0 once the new key is in force; 1 if the rotation stopped (it stays recorded,
 * and running the command again resumes it).
 */
@Command(
    name = "rotate",
    mixinStandardHelpOptions = true,
    description = {
      "Rotates the server's root key: a new key is written to DATA/root.key.new, every data key is"
          + " rewrapped by it in batches while reads and writes go on, then it becomes"
          + " DATA/root.key and the old key is kept as DATA/root.key.old-ID. A crash resumes at"
          + " the next start. Needs an admin:* token and a server whose key comes from"
          + " DATA/root.key (not KEYTURN_ROOT_KEY or shares), with no other node on its store.",
      "Waits for the end unless --detach; running it again resumes a stopped rotation."
    })
final class RootKeyRotateCommand extends ClientCommand implements Callable<Integer> {
  @Option(names = "--detach", description = "Return once the rotation has started.")
  boolean detach;

  @Option(
      names = "--json",
      description =
          "Print the final state (root_key_id, state, from, to, rewrapped, key_file, note) as"
              + " JSON.")
  boolean json;

  @Override
  public Integer call() throws InterruptedException {
    RootKeyStatus status = client().rotateRootKey();
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
                  + " data keys rewrapped); key file "
                  + status.keyFile());
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
}
