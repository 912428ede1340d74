package dev.keyturn.server;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RootKeyChange;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root key files of a data directory through a root key rotation: {@code root.key} (the key in
 * force), {@code root.key.new} (the new key, from the rotation's first step until its end) and
 * {@code root.key.old-ID} (the old key, kept beside the new one once the rotation ended; the server
 * never reads it). Every file is written whole under a temporary name, flushed, and renamed into
 * place, mode 600.
 *
 * <p>Which files a start needs follows from the store: with a rotation recorded, {@code root.key}
 * must hold its old key and {@code root.key.new} its new one; without, the key whose id the store
 * records, found in {@code root.key} or, when a rotation ended and the renames did not, in {@code
 * root.key.new} (the renames are then finished). Anything else is refused with what to do.
 */
final class RootKeyFiles {
  static final String NEXT_FILE = "root.key.new";
  private static final Logger log = LoggerFactory.getLogger(RootKeyFiles.class);

  /** The keys a start opens with: the key in force and, while a rotation runs, the new one. */
  record Keys(RootKey current, Optional<RootKey> next) {}

  private RootKeyFiles() {}

  /**
   * The keys in {@code dataDir} for {@code store}, with the store's root key id {@code recorded}
   * (present: {@link Bootstrap#rootKey} handles a store that records none).
   *
   * @throws Bootstrap.StartupException when the files do not fit the store's state
   */
  static Keys resolve(Store store, Path dataDir, String recorded) {
    Path currentFile = dataDir.resolve(Bootstrap.ROOT_KEY_FILE);
    Path nextFile = dataDir.resolve(NEXT_FILE);
    Optional<RootKey> current = read(currentFile);
    Optional<RootKey> next = read(nextFile);
    Optional<RootKeyChange> change =
        RootKeyChange.parse(store.settings().setting(RootKeyChange.SETTING));
    if (change.isPresent()) {
      RootKeyChange c = change.get();
      if (current.isPresent()
          && current.get().id().equals(c.from())
          && next.isPresent()
          && next.get().id().equals(c.to())) {
        log.info("a root key rotation from {} to {} is in progress: resuming it", c.from(), c.to());
        return new Keys(current.get(), next);
      }
      destroy(current, next);
      throw new Bootstrap.StartupException(
          "a root key rotation from "
              + c.from()
              + " to "
              + c.to()
              + " is in progress: the server needs the old key in "
              + currentFile
              + " and the new one in "
              + nextFile
              + " (found "
              + describe(current)
              + " and "
              + describe(next)
              + "); put both back and start again, and the rotation resumes");
    }
    if (current.isPresent() && current.get().id().equals(recorded)) {
      if (next.isPresent()) {
        log.warn(
            "{} holds root key {} from a rotation that never began: 'keyturn root-key rotate'"
                + " takes it up",
            nextFile,
            next.get().id());
        next.get().destroy();
      }
      return new Keys(current.get(), Optional.empty());
    }
    if (next.isPresent() && next.get().id().equals(recorded)) {
      // The rotation ended in the store; its renames did not.
      current.ifPresent(old -> retire(dataDir, old.id()));
      current.ifPresent(RootKey::destroy);
      promote(dataDir);
      return new Keys(next.get(), Optional.empty());
    }
    destroy(current, next);
    throw new Bootstrap.StartupException(
        current.isPresent()
            ? "the store's data keys are wrapped by root key "
                + recorded
                + ", but the root key given is "
                + current.get().id()
                + ": wrong key file or KEYTURN_ROOT_KEY?"
            : "the store holds data encrypted under root key "
                + recorded
                + ", but no root key was found: restore "
                + currentFile
                + " or set KEYTURN_ROOT_KEY_FILE. Keyturn will not make a new key for a store"
                + " with data: every secret would become unreadable");
  }

  /** Whether a rotation left a file a start must look at ({@code root.key.new}). */
  static boolean nextExists(Path dataDir) {
    return Files.exists(dataDir.resolve(NEXT_FILE), LinkOption.NOFOLLOW_LINKS);
  }

  /** The key in {@code root.key.new}, if the file is there. */
  static Optional<RootKey> readNext(Path dataDir) {
    return read(dataDir.resolve(NEXT_FILE));
  }

  /** Writes {@code key} to {@code root.key.new}, atomically, mode 600. */
  static void writeNext(Path dataDir, RootKey key) {
    writeAtomically(dataDir, NEXT_FILE, key.toBase64Line());
  }

  /**
   * After a rotation ended in the store: {@code root.key} becomes {@code root.key.old-ID} and
   * {@code root.key.new} becomes {@code root.key}; returns the old file's path.
   */
  static Path finish(Path dataDir, String oldId) {
    Path retired = retire(dataDir, oldId);
    promote(dataDir);
    return retired;
  }

  /** Where a rotation keeps the old key once it ended. */
  static Path retiredFile(Path dataDir, String oldId) {
    return dataDir.resolve(Bootstrap.ROOT_KEY_FILE + ".old-" + oldId);
  }

  private static Path retire(Path dataDir, String oldId) {
    Path retired = retiredFile(dataDir, oldId);
    move(dataDir.resolve(Bootstrap.ROOT_KEY_FILE), retired, dataDir);
    return retired;
  }

  private static void promote(Path dataDir) {
    move(dataDir.resolve(NEXT_FILE), dataDir.resolve(Bootstrap.ROOT_KEY_FILE), dataDir);
  }

  private static void move(Path from, Path to, Path dir) {
    try {
      if (!Files.exists(from, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDir(dir);
    } catch (IOException e) {
      throw new KeyturnException.Unavailable(
          "cannot rename " + from + " to " + to + ": " + e.getMessage(), e);
    }
  }

  private static void writeAtomically(Path dir, String name, String content) {
    Path temporary = dir.resolve(name + ".tmp");
    try {
      Files.deleteIfExists(temporary);
      try (FileChannel channel =
          FileChannel.open(
              temporary,
              Set.of(
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        channel.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII)));
        channel.force(true);
      }
      Files.move(temporary, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
      syncDir(dir);
    } catch (IOException e) {
      throw new KeyturnException.Unavailable(
          "cannot write " + dir.resolve(name) + ": " + e.getMessage(), e);
    }
  }

  private static void syncDir(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  private static Optional<RootKey> read(Path file) {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    FileTrust.ofThisProcess().checkKeyFile(file).ifPresent(log::warn);
    try {
      return Optional.of(RootKey.fromBase64(Files.readString(file, StandardCharsets.US_ASCII)));
    } catch (IOException e) {
      throw new Bootstrap.StartupException(
          "cannot read the root key " + file + ": " + e.getMessage());
    } catch (KeyturnException.InvalidInput e) {
      throw new Bootstrap.StartupException(file + ": " + e.getMessage());
    }
  }

  private static String describe(Optional<RootKey> key) {
    return key.map(RootKey::id).orElse("no key");
  }

  private static void destroy(Optional<RootKey> a, Optional<RootKey> b) {
    a.ifPresent(RootKey::destroy);
    b.ifPresent(RootKey::destroy);
  }
}
