package dev.keyturn.server;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Tokens;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.Store;
import dev.keyturn.core.spi.TokenRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First-start and every-start checks: which root key to use, and the root token. A root key is made
 * only for an empty store; a store with data and no key is refused, never re-keyed (that would make
 * every secret unreadable).
 */
final class Bootstrap {
  private static final Logger log = LoggerFactory.getLogger(Bootstrap.class);
  static final String ROOT_KEY_FILE = "root.key";
  static final String ROOT_TOKEN_FILE = "root.token";
  static final String ROOT_KEY_SETTING = dev.keyturn.core.RootKeyChange.ROOT_KEY_ID_SETTING;
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private Bootstrap() {}

  /**
   * Creates the data directory (mode 700) if it is missing, then refuses one that another user owns
   * or may write to ({@link FileTrust}).
   */
  static void dataDir(Path dir) {
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (IOException e) {
      throw new StartupException("cannot create the data directory " + dir + ": " + e.getMessage());
    }
    FileTrust.ofThisProcess().checkDataDir(dir);
  }

  /**
   * The root keys a start opens with: as {@link #rootKey}, and through a root key rotation as
   * {@link RootKeyFiles#resolve} decides from the store's state and the key files.
   */
  static RootKeyFiles.Keys rootKeys(
      Store store, Path dataDir, Optional<String> fromEnvironment, SecureRandom random) {
    Optional<String> recorded = store.settings().setting(ROOT_KEY_SETTING);
    Optional<dev.keyturn.core.RootKeyChange> change =
        dev.keyturn.core.RootKeyChange.parse(
            store.settings().setting(dev.keyturn.core.RootKeyChange.SETTING));
    if (fromEnvironment.isPresent()) {
      if (change.isPresent()) {
        throw new StartupException(
            "a root key rotation from "
                + change.get().from()
                + " to "
                + change.get().to()
                + " is in progress, but the root key comes from KEYTURN_ROOT_KEY: start with"
                + " both key files (DATA/root.key and DATA/root.key.new) instead");
      }
      return new RootKeyFiles.Keys(
          rootKey(store, dataDir, fromEnvironment, random), Optional.empty());
    }
    if (recorded.isPresent()) {
      return RootKeyFiles.resolve(store, dataDir, recorded.get());
    }
    return new RootKeyFiles.Keys(
        rootKey(store, dataDir, fromEnvironment, random), Optional.empty());
  }

  /**
   * The root key: from the environment ({@code KEYTURN_ROOT_KEY[_FILE]}), else {@code
   * DATA/root.key}, else a new one when the store is empty.
   */
  static RootKey rootKey(
      Store store, Path dataDir, Optional<String> fromEnvironment, SecureRandom random) {
    Path file = dataDir.resolve(ROOT_KEY_FILE);
    Optional<String> recorded = store.settings().setting(ROOT_KEY_SETTING);
    RootKey key;
    if (fromEnvironment.isPresent()) {
      key = RootKey.fromBase64(fromEnvironment.get());
    } else if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      FileTrust.ofThisProcess().checkKeyFile(file).ifPresent(log::warn);
      try {
        key = RootKey.fromBase64(Files.readString(file, StandardCharsets.US_ASCII));
      } catch (IOException e) {
        throw new StartupException("cannot read the root key " + file + ": " + e.getMessage());
      }
    } else {
      if (recorded.isPresent() || !store.isEmpty()) {
        throw new StartupException(
            "the store holds data encrypted under root key "
                + recorded.orElse("(unknown)")
                + ", but no root key was found: restore "
                + file
                + " or set KEYTURN_ROOT_KEY_FILE. Keyturn will not make a new key for a store"
                + " with data: every secret would become unreadable");
      }
      key = RootKey.generate(random);
      writeOwnerOnly(file, key.toBase64Line(), true);
    }
    String inForce = store.settings().settingIfAbsent(ROOT_KEY_SETTING, key.id());
    if (!inForce.equals(key.id())) {
      throw new StartupException(
          "the store's data keys are wrapped by root key "
              + inForce
              + ", but the root key given is "
              + key.id()
              + ": wrong key file or KEYTURN_ROOT_KEY?");
    }
    return key;
  }

  /**
   * Makes the root token when the store has no token: writes it to {@code DATA/root.token} (mode
   * 600), then stores its hash. Returns the token only when it was made now, so the caller can show
   * it once.
   */
  static Optional<String> rootToken(Store store, Path dataDir, SecureRandom random, Clock clock) {
    if (store.tokens().count() > 0) {
      return Optional.empty();
    }
    String token = Tokens.newToken(random);
    writeOwnerOnly(dataDir.resolve(ROOT_TOKEN_FILE), token + "\n", false);
    store
        .tokens()
        .create(
            new TokenRecord(
                TokenRecord.ROOT_ID,
                "root",
                Tokens.hash(token),
                List.of("admin:*"),
                clock.instant(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                TokenRecord.CreatorSource.RECORDED));
    return Optional.of(token);
  }

  /**
   * This server's node id, kept in {@code DATA/node.id} so that a restarted server takes back the
   * claims on rotations it held when it stopped (or crashed).
   */
  static String nodeId(Path dataDir, SecureRandom random) {
    Path file = dataDir.resolve("node.id");
    try {
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        refuseLink(file);
        String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (id.matches("node-[0-9a-f]{16}")) {
          return id;
        }
      }
    } catch (IOException e) {
      throw new StartupException("cannot read " + file + ": " + e.getMessage());
    }
    byte[] bytes = new byte[8];
    random.nextBytes(bytes);
    String id = "node-" + java.util.HexFormat.of().formatHex(bytes);
    writeOwnerOnly(file, id + "\n", false);
    return id;
  }

  /**
   * Writes a new owner-only file: never through a symbolic link, and never into a file that already
   * exists (an old one is removed first unless {@code mustBeNew}), so nothing planted there is
   * reused.
   */
  static void writeOwnerOnly(Path file, String content, boolean mustBeNew) {
    try {
      if (!mustBeNew && Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        refuseLink(file);
        Files.delete(file);
      }
      try (FileChannel channel =
          FileChannel.open(
              file,
              Set.of(
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(OWNER_ONLY))) {
        channel.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII)));
        channel.force(true);
      }
    } catch (IOException e) {
      throw new StartupException("cannot write " + file + ": " + e.getMessage());
    }
  }

  private static void refuseLink(Path file) {
    if (Files.isSymbolicLink(file)) {
      throw new StartupException(
          "refusing "
              + file
              + ": it is a symbolic link, and Keyturn writes and reads it only as a file of its"
              + " own; remove the link");
    }
  }

  /** A start-up check failed; the message says what to do. */
  static final class StartupException extends KeyturnException {
    StartupException(String message) {
      super(message);
    }
  }
}
