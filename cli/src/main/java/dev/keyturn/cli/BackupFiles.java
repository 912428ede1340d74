package dev.keyturn.cli;

import dev.keyturn.backup.BackupDocument;
import dev.keyturn.backup.OpenPgp;
import dev.keyturn.core.KeyturnException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.Consumer;

/**
 * The backup commands' files and passphrases: an encrypted file is written under a temporary name
 * in its folder (mode 600), synced and renamed into place, so a reader never sees half of one; an
 * existing file is never replaced. A passphrase comes from the first line of a file (as gpg's
 * {@code --passphrase-file} reads it) or from the terminal without echo, never from a flag.
 */
final class BackupFiles {
  private BackupFiles() {}

  /** Writes {@code file} atomically with what {@code encrypt} writes to the stream it is given. */
  static void writeAtomically(Path file, Consumer<OutputStream> encrypt) {
    Path absolute = file.toAbsolutePath();
    Path dir = absolute.getParent();
    if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
      throw new KeyturnException.Conflict(file + " exists; a backup never replaces a file");
    }
    Path temporary =
        dir.resolve(
            "." + absolute.getFileName() + ".tmp-" + HexFormat.of().formatHex(randomBytes()));
    try {
      Files.createDirectories(dir);
      try (FileChannel channel =
          FileChannel.open(
              temporary,
              java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        OutputStream out = Channels.newOutputStream(channel);
        encrypt.accept(out);
        out.flush();
        channel.force(true);
      }
      try {
        // A hard link appears whole and, unlike a rename, never replaces a file made meanwhile.
        Files.createLink(absolute, temporary);
      } catch (FileAlreadyExistsException e) {
        throw new KeyturnException.Conflict(file + " exists; a backup never replaces a file");
      }
      try (FileChannel folder = FileChannel.open(dir, StandardOpenOption.READ)) {
        folder.force(true);
      } catch (IOException e) {
        // Some file systems cannot sync a folder; the file itself is synced.
      }
    } catch (IOException e) {
      throw new KeyturnException.Unavailable(file + " could not be written: " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException e) {
        // Left behind under its temporary name; nothing secret is in it (it is encrypted).
      }
    }
  }

  private static byte[] randomBytes() {
    byte[] bytes = new byte[6];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }

  /**
   * Opens and checks the backup {@code file} ({@code -} for standard input) with the passphrase
   * from {@code passphraseFile} or the terminal; the decrypted bytes are zeroed once parsed.
   *
   * @throws KeyturnException.CryptoFailure when it does not open
   * @throws KeyturnException.InvalidInput when its content is not a sound backup
   */
  static BackupDocument open(Io io, String file, Path passphraseFile) {
    byte[] document = read(io, file, () -> passphrase(io, passphraseFile, false));
    try {
      return BackupDocument.parse(document);
    } finally {
      Arrays.fill(document, (byte) 0);
    }
  }

  /**
   * The passphrase from the first line of {@code file}, or typed at the terminal without echo
   * (twice when {@code confirm}).
   */
  static char[] passphrase(Io io, Path file, boolean confirm) {
    if (file != null) {
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        String line = in.readLine();
        if (line == null || line.isEmpty()) {
          throw new KeyturnException.InvalidInput(file + ": the passphrase file is empty");
        }
        return line.toCharArray();
      } catch (IOException e) {
        throw new KeyturnException.InvalidInput(file + " cannot be read: " + e.getMessage());
      }
    }
    if (!io.terminal() || System.console() == null) {
      throw new KeyturnException.InvalidInput(
          "give --passphrase-file FILE, or run on a terminal to type the passphrase");
    }
    char[] typed = System.console().readPassword("Backup passphrase: ");
    if (typed == null || typed.length == 0) {
      throw new KeyturnException.InvalidInput("the passphrase is empty");
    }
    if (confirm) {
      char[] again = System.console().readPassword("Again: ");
      boolean same = Arrays.equals(typed, again);
      if (again != null) {
        Arrays.fill(again, '\0');
      }
      if (!same) {
        Arrays.fill(typed, '\0');
        throw new KeyturnException.InvalidInput("the two passphrases differ");
      }
    }
    return typed;
  }

  /**
   * The backup document from {@code source} ({@code -}: standard input): decrypted with the
   * passphrase {@code passphrase} supplies when it is an OpenPGP message, taken as it is when it is
   * JSON read from standard input (as {@code gpg -d FILE |} sends it). A JSON file on disk is
   * refused: a backup is never kept in the clear.
   */
  static byte[] read(Io io, String source, java.util.function.Supplier<char[]> passphrase) {
    byte[] raw;
    boolean stdin = source.equals("-");
    try (InputStream in = stdin ? io.in() : Files.newInputStream(Path.of(source))) {
      raw = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, OpenPgp.MAX_PLAINTEXT * 2));
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(source + " cannot be read: " + e.getMessage());
    }
    int first = 0;
    while (first < raw.length && Character.isWhitespace(raw[first])) {
      first++;
    }
    if (first < raw.length && raw[first] == '{') {
      if (!stdin) {
        Arrays.fill(raw, (byte) 0);
        throw new KeyturnException.InvalidInput(
            source + " is a backup in the clear; pipe it in on standard input instead (-)");
      }
      return raw;
    }
    char[] secret = passphrase.get();
    try {
      return OpenPgp.decrypt(new java.io.ByteArrayInputStream(raw), secret);
    } finally {
      Arrays.fill(secret, '\0');
    }
  }
}
