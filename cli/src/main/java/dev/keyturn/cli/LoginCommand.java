package dev.keyturn.cli;

import com.sun.security.auth.module.UnixSystem;
import dev.keyturn.api.WhoAmIResponse;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.KeyturnException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code keyturn login}: checks a token and keeps it in ~/.keyturn/token. The folder is made with
 * mode 700 (a looser one of the user's own is tightened, one of another user refused); the file is
 * written whole to a new mode-600 file beside it and renamed into place, so it is never readable by
 * others nor half-written, and a symbolic link planted in its place is replaced, not followed.
 */
@Command(
    name = "login",
    mixinStandardHelpOptions = true,
    description = {
      "Checks a token and keeps it for later commands.",
      "Reads the token (typed at a prompt that does not echo, or from standard input), checks"
          + " it against the server, and keeps it in ~/.keyturn/token (folder mode 700, file"
          + " mode 600)."
    })
final class LoginCommand extends ClientCommand implements Callable<Integer> {
  private static final Set<PosixFilePermission> OWNER_FOLDER =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_FILE =
      PosixFilePermissions.fromString("rw-------");

  @Override
  public Integer call() throws IOException {
    String token = readToken();
    if (token.isEmpty()) {
      throw new KeyturnException.InvalidInput("no token given");
    }
    WireClient client =
        root().opened(ClientSettings.client(io(), addr(), token, root().insecureHttp));
    WhoAmIResponse who = client.whoami();
    Path file = ClientSettings.loginFile(io());
    ownerOnlyFolder(file.getParent());
    writeAtomically(file, token + "\n");
    io().out()
        .println(
            "Logged in to "
                + client.address()
                + " as "
                + who.name()
                + " ("
                + who.tokenId()
                + "); token saved in "
                + file);
    return 0;
  }

  /** Makes {@code folder} mode 700, or checks an existing one: ours, a real folder, mode 700. */
  private void ownerOnlyFolder(Path folder) throws IOException {
    if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(OWNER_FOLDER));
      // the mode given at creation is narrowed by the umask, never widened; set it exactly
      Files.setPosixFilePermissions(folder, OWNER_FOLDER);
      return;
    }
    PosixFileAttributes attributes =
        Files.readAttributes(folder, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attributes.isDirectory()) {
      throw new KeyturnException.InvalidInput(
          folder + " is not a folder (a symbolic link?); remove it and log in again");
    }
    long owner =
        ((Number) Files.getAttribute(folder, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
    long me = new UnixSystem().getUid();
    if (owner != me) {
      throw new KeyturnException.InvalidInput(
          folder
              + " belongs to uid "
              + owner
              + ", not to you (uid "
              + me
              + "): its owner could read your token; remove it or run: chown "
              + me
              + " "
              + folder);
    }
    if (!attributes.permissions().equals(OWNER_FOLDER)) {
      Files.setPosixFilePermissions(folder, OWNER_FOLDER);
      io().err().println("keyturn: " + folder + " was open to other users; it is now mode 700");
    }
  }

  private static void writeAtomically(Path file, String content) throws IOException {
    Path temporary = file.resolveSibling(".token." + ProcessHandle.current().pid() + ".new");
    Files.deleteIfExists(temporary);
    try {
      try (FileChannel channel =
          FileChannel.open(
              temporary,
              Set.of(
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(OWNER_FILE))) {
        channel.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
        channel.force(true);
      }
      Files.move(
          temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temporary);
    }
  }

  private String readToken() throws IOException {
    if (io().terminal() && System.console() != null) {
      char[] typed = System.console().readPassword("Token: ");
      return typed == null ? "" : new String(typed).strip();
    }
    String line =
        new BufferedReader(new InputStreamReader(io().in(), StandardCharsets.UTF_8)).readLine();
    return line == null ? "" : line.strip();
  }
}
