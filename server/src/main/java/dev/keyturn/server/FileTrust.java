package dev.keyturn.server;

import static java.nio.file.attribute.PosixFilePermission.GROUP_READ;
import static java.nio.file.attribute.PosixFilePermission.GROUP_WRITE;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_READ;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;
import java.util.Set;

/**
 * Whether the data folder and the root key file can be trusted, as ssh's StrictModes decides for
 * {@code ~/.ssh}: each must belong to the server's user or to root, and no other user may write to
 * it. A key file that other users can read is refused, except one owned by root, which is taken for
 * a read-only secret mount (Docker's 0444, Kubernetes' 0644) with a warning. The folders on the way
 * to each are held to the same rule, except that a folder others may write to is accepted when its
 * sticky bit keeps them from renaming what is not theirs ({@code /tmp}). Refusals say what to run.
 * Immutable.
 */
final class FileTrust {
  private static final int ROOT = 0;

  private final long user;

  /**
   * @param user the uid this server runs as
   */
  FileTrust(long user) {
    this.user = user;
  }

  /** For the uid of this process. */
  static FileTrust ofThisProcess() {
    return new FileTrust(new UnixSystem().getUid());
  }

  /**
   * Refuses a data folder that another user owns or may write to.
   *
   * @throws Bootstrap.StartupException naming the folder and the command that fixes it
   */
  void checkDataDir(Path dir) {
    // A data folder reached through a symbolic link is judged by the folder it leads to.
    Path real;
    try {
      real = dir.toRealPath();
    } catch (IOException e) {
      throw new Bootstrap.StartupException(
          "cannot check the data folder " + dir + ": " + e.getMessage());
    }
    checkFoldersOnTheWay(real, "data folder");
    PosixFileAttributes attributes = attributes(real, "data folder");
    checkOwner(real, "data folder", attributes);
    if (writableByOthers(attributes.permissions())) {
      throw new Bootstrap.StartupException(
          "refusing the data folder "
              + dir
              + ": other users can write to it (mode "
              + mode(attributes.permissions())
              + ") and could plant files the server trusts; run: chmod go-w "
              + real);
    }
  }

  /**
   * Refuses a key file that is a symbolic link, belongs to another user, may be written by other
   * users, or is readable by them while not owned by root; returns a warning for a root-owned key
   * that others can read.
   *
   * @throws Bootstrap.StartupException naming the file and the command that fixes it
   */
  Optional<String> checkKeyFile(Path file) {
    PosixFileAttributes attributes = attributes(file, "key file");
    if (attributes.isSymbolicLink() || !attributes.isRegularFile()) {
      throw new Bootstrap.StartupException(
          "refusing "
              + file
              + ": it is "
              + (attributes.isSymbolicLink() ? "a symbolic link" : "not a regular file")
              + "; put the key itself there, or name it with KEYTURN_ROOT_KEY_FILE");
    }
    checkOwner(file, "key file", attributes);
    Set<PosixFilePermission> permissions = attributes.permissions();
    if (writableByOthers(permissions)) {
      throw new Bootstrap.StartupException(
          "refusing "
              + file
              + ": other users can write to it (mode "
              + mode(permissions)
              + "); run: chmod 600 "
              + file);
    }
    if (permissions.contains(GROUP_READ) || permissions.contains(OTHERS_READ)) {
      if (ownerUid(file, attributes) == ROOT) {
        return Optional.of(
            file
                + " is readable by other users (mode "
                + mode(permissions)
                + "); accepted as a read-only secret mount owned by root. Elsewhere run: chmod 600 "
                + file);
      }
      throw new Bootstrap.StartupException(
          "refusing "
              + file
              + ": other users can read it (mode "
              + mode(permissions)
              + "); run: chmod 600 "
              + file);
    }
    return Optional.empty();
  }

  /**
   * Judges a key file named by the operator ({@code KEYTURN_ROOT_KEY_FILE}) by the file it leads
   * to: symbolic links are followed, since secret mounts are made of them (Kubernetes), and every
   * folder on the way, of the name as given and of the file reached, is checked.
   *
   * @throws Bootstrap.StartupException naming the file or folder and the command that fixes it
   */
  Optional<String> checkNamedKeyFile(Path file) {
    Path real;
    try {
      real = file.toRealPath();
    } catch (IOException e) {
      throw new Bootstrap.StartupException(
          "cannot check the root key file " + file + ": " + e.getMessage());
    }
    checkFoldersOnTheWay(file.toAbsolutePath().normalize(), "root key file");
    checkFoldersOnTheWay(real, "root key file");
    return checkKeyFile(real);
  }

  /**
   * Refuses a folder above {@code path} that another user owns, or that others may write to without
   * the sticky bit: its owner, or anyone who may write to it, could put another file or folder in
   * {@code path}'s place.
   */
  private void checkFoldersOnTheWay(Path path, String what) {
    for (Path folder = path.getParent(); folder != null; folder = folder.getParent()) {
      PosixFileAttributes attributes = attributes(folder, "folder");
      long owner = ownerUid(folder, attributes);
      if (owner != user && owner != ROOT) {
        throw new Bootstrap.StartupException(
            "refusing the "
                + what
                + " "
                + path
                + ": the folder "
                + folder
                + " on the way to it belongs to uid "
                + owner
                + ", who could put something else in its place; move it, or run: chown "
                + user
                + " "
                + folder);
      }
      if (writableByOthers(attributes.permissions()) && !sticky(folder)) {
        throw new Bootstrap.StartupException(
            "refusing the "
                + what
                + " "
                + path
                + ": other users can write to the folder "
                + folder
                + " on the way to it (mode "
                + mode(attributes.permissions())
                + ") and could put something else in its place; run: chmod go-w "
                + folder
                + " (or chmod +t "
                + folder
                + ")");
      }
    }
  }

  private static boolean sticky(Path folder) {
    try {
      int mode = (Integer) Files.getAttribute(folder, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return (mode & 01000) != 0;
    } catch (IOException | UnsupportedOperationException e) {
      throw new Bootstrap.StartupException("cannot read the mode of " + folder);
    }
  }

  private void checkOwner(Path path, String what, PosixFileAttributes attributes) {
    long owner = ownerUid(path, attributes);
    if (owner != user && owner != ROOT) {
      throw new Bootstrap.StartupException(
          "refusing the "
              + what
              + " "
              + path
              + ": it belongs to uid "
              + owner
              + ", not to this server's user (uid "
              + user
              + ") or root, and its owner can change it at will; run: chown "
              + user
              + " "
              + path);
    }
  }

  private static PosixFileAttributes attributes(Path path, String what) {
    try {
      return Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      throw new Bootstrap.StartupException(
          "cannot check the " + what + " " + path + ": " + e.getMessage());
    }
  }

  private static long ownerUid(Path path, PosixFileAttributes attributes) {
    try {
      return ((Number) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
    } catch (IOException | UnsupportedOperationException e) {
      throw new Bootstrap.StartupException(
          "cannot tell who owns " + path + " (" + attributes.owner().getName() + ")");
    }
  }

  private static boolean writableByOthers(Set<PosixFilePermission> permissions) {
    return permissions.contains(GROUP_WRITE) || permissions.contains(OTHERS_WRITE);
  }

  /** The permission bits in octal, e.g. {@code 0644}. */
  static String mode(Set<PosixFilePermission> permissions) {
    int bits = 0;
    for (PosixFilePermission p : permissions) {
      bits |= 1 << (8 - p.ordinal());
    }
    return String.format("0%03o", bits);
  }
}
