package dev.keyturn.cli.delivery;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes a file whole or not at all: a new temporary file in the same folder (mode 0600 whatever
 * the umask), written, flushed to disk, then renamed over the target, and the folder flushed. A
 * reader sees the old file or the new one, never part of one.
 */
public final class AtomicFile {
  static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private AtomicFile() {}

  /**
   * Replaces {@code target} with {@code bytes}.
   *
   * @throws KeyturnException.InvalidInput when the folder cannot be written; nothing changed then
   */
  public static void write(Path target, byte[] bytes) {
    write(target, bytes, tmp -> {});
  }

  /** What to do to the temporary file (mode, owner) before it is renamed in place. */
  public interface Prepare {
    void apply(Path tmp) throws IOException;
  }

  /** As {@link #write(Path, byte[])}, with {@code prepare} applied before the rename. */
  public static void write(Path target, byte[] bytes, Prepare prepare) {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      tmp =
          Files.createTempFile(
              dir,
              "." + target.getFileName() + ".",
              ".tmp",
              PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      // The umask may have taken bits away from the requested mode; set it exactly.
      Files.setPosixFilePermissions(tmp, OWNER_ONLY);
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      prepare.apply(tmp);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      tmp = null;
      try (FileChannel folder = FileChannel.open(dir, StandardOpenOption.READ)) {
        folder.force(true);
      }
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput("cannot write " + target + ": " + describe(e));
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The write already failed; that error is the one to report.
        }
      }
    }
  }

  static String describe(IOException e) {
    String type = e.getClass().getSimpleName();
    return e.getMessage() == null ? type : type + ": " + e.getMessage();
  }
}
