package dev.keyturn.cli.delivery;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A folder that holds secret files ({@code _FILE} delivery): mode 0700 and this user's. An existing
 * folder that another user owns, that is a symbolic link, or that others may enter or read is
 * refused, since they could read or swap the files.
 */
public final class SecretFolder {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  private SecretFolder() {}

  /**
   * Makes {@code dir} (mode 0700) or checks the existing one.
   *
   * @return whether this call created it
   * @throws KeyturnException.InvalidInput naming the folder and what is wrong with it
   */
  public static boolean prepare(Path dir) {
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      Files.setPosixFilePermissions(dir, OWNER_ONLY);
      return true;
    } catch (FileAlreadyExistsException e) {
      check(dir);
      return false;
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          "cannot create " + dir + ": " + AtomicFile.describe(e));
    }
  }

  private static void check(Path dir) {
    try {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new KeyturnException.InvalidInput(dir + " is not a folder (or is a symbolic link)");
      }
      Object owner = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      Object self = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      if (!owner.equals(self)) {
        throw new KeyturnException.InvalidInput(
            dir + " belongs to another user (uid " + owner + "); use a folder of your own");
      }
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
      if (!OWNER_ONLY.containsAll(mode)) {
        throw new KeyturnException.InvalidInput(
            dir
                + " is open to others (mode "
                + PosixFilePermissions.toString(mode)
                + "); chmod 700 it or use another folder");
      }
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          "cannot check " + dir + ": " + AtomicFile.describe(e));
    }
  }

  /**
   * A new folder for one {@code run}: under {@code $XDG_RUNTIME_DIR} when set, else under {@code
   * /dev/shm}; both live in memory on common Linux systems.
   */
  public static Path createInMemory(Map<String, String> env) {
    Path base =
        Optional.ofNullable(env.get("XDG_RUNTIME_DIR"))
            .filter(s -> !s.isEmpty())
            .map(Path::of)
            .filter(Files::isDirectory)
            .orElse(Path.of("/dev/shm"));
    try {
      Path dir =
          Files.createTempDirectory(
              base, "keyturn-run-", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      Files.setPosixFilePermissions(dir, OWNER_ONLY);
      return dir;
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          "cannot make a folder for the secret files under "
              + base
              + ": "
              + AtomicFile.describe(e)
              + "; give --files=DIR");
    }
  }

  /** Whether {@code dir} is on a file system kept in memory (tmpfs, ramfs). */
  public static boolean inMemory(Path dir) {
    try {
      String type = Files.getFileStore(dir).type();
      return type.equals("tmpfs") || type.equals("ramfs");
    } catch (IOException e) {
      return false;
    }
  }
}
