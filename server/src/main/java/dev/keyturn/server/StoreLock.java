package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exclusive use of an embedded (SQLite) database by one process: an OS lock on {@code DB.lock}
 * beside the database's real path (symbolic links resolved, so two spellings of one file share one
 * lock), held until {@link #close}. The lock file records the holder's pid, host and start time, so
 * a refusal names it. The database file itself is never locked: closing any descriptor of a file
 * drops every POSIX lock the process holds on it, SQLite's own included.
 *
 * <p>Used by the server for as long as it runs, and by operator commands that need the store to
 * themselves. Within one JVM the same database can be held once (a second {@link #acquire} is
 * refused without opening the file, which would drop the first holder's lock on close).
 * Thread-safe.
 */
public final class StoreLock implements AutoCloseable {
  /** No lock: a shared store (PostgreSQL) or an in-memory one. */
  public static final StoreLock NONE = new StoreLock(null, null, null);

  /** Lock files this JVM holds, with what they say; never reopened while held. */
  private static final ConcurrentHashMap<Path, String> HELD_IN_THIS_JVM = new ConcurrentHashMap<>();

  private static final int MAX_HOLDER_TEXT = 200;

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private StoreLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks the store named by a JDBC URL: the SQLite database file of {@code jdbc:sqlite:PATH}, and
   * nothing ({@link #NONE}) for other stores or an in-memory SQLite database.
   *
   * @throws KeyturnException.Conflict when another process (or this one) holds it; the message
   *     names the holder
   * @throws KeyturnException.Unavailable when the lock file cannot be made
   */
  public static StoreLock acquire(String storeUrl) {
    requireNonNull(storeUrl, "storeUrl");
    if (!storeUrl.startsWith("jdbc:sqlite:")) {
      return NONE;
    }
    String rest = storeUrl.substring("jdbc:sqlite:".length());
    int query = rest.indexOf('?');
    String path = query >= 0 ? rest.substring(0, query) : rest;
    if (path.isEmpty() || path.startsWith(":memory:") || rest.contains("mode=memory")) {
      return NONE;
    }
    return acquireDatabase(Path.of(path));
  }

  /**
   * Locks the SQLite database {@code database} (which need not exist yet); see {@link #acquire}.
   */
  public static StoreLock acquireDatabase(Path database) {
    Path real = realPath(database);
    Path file = real.resolveSibling(real.getFileName() + ".lock");
    String holder = holderText();
    String heldHere = HELD_IN_THIS_JVM.putIfAbsent(file, holder);
    if (heldHere != null) {
      // Reading the lock file here would open and close a descriptor of it, which drops the
      // lock this process holds: answer from memory.
      throw held(real, heldHere);
    }
    try {
      FileChannel channel =
          FileChannel.open(
              file,
              Set.of(
                  StandardOpenOption.CREATE,
                  StandardOpenOption.READ,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      if (lock == null) {
        String other = holder(file);
        channel.close();
        throw held(real, other);
      }
      record(channel, holder);
      return new StoreLock(file, channel, lock);
    } catch (IOException e) {
      HELD_IN_THIS_JVM.remove(file);
      throw new KeyturnException.Unavailable("cannot lock " + file + " (" + reason(e) + ")", e);
    } catch (RuntimeException e) {
      HELD_IN_THIS_JVM.remove(file);
      throw e;
    }
  }

  /** The lock file, when there is one. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  @Override
  public void close() {
    if (channel == null) {
      return;
    }
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // the process is ending or the folder is gone; the OS drops the lock either way
    } finally {
      HELD_IN_THIS_JVM.remove(file);
    }
  }

  private static Path realPath(Path database) {
    Path absolute = database.toAbsolutePath().normalize();
    try {
      if (Files.exists(absolute)) {
        return absolute.toRealPath();
      }
      Path parent = absolute.getParent();
      return parent.toRealPath().resolve(absolute.getFileName());
    } catch (IOException e) {
      throw new KeyturnException.Unavailable(
          "cannot resolve the database path " + absolute + " (" + reason(e) + ")", e);
    }
  }

  private static String holderText() {
    return "pid "
        + ProcessHandle.current().pid()
        + " on host "
        + hostName()
        + ", since "
        + Instant.now().truncatedTo(ChronoUnit.SECONDS);
  }

  private static void record(FileChannel channel, String holder) throws IOException {
    channel.truncate(0);
    channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
    channel.force(true);
  }

  /** Who holds the lock, as its lock file says; bounded and stripped to printable ASCII. */
  private static String holder(Path file) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      String text =
          new String(bytes, 0, Math.min(bytes.length, MAX_HOLDER_TEXT), StandardCharsets.US_ASCII);
      text = text.strip().replaceAll("[^\\x20-\\x7e]", "?");
      return text.isEmpty() ? "a process that has not yet said who it is" : text;
    } catch (IOException e) {
      return "a process whose lock file cannot be read (" + reason(e) + ")";
    }
  }

  private static KeyturnException.Conflict held(Path database, String holder) {
    return new KeyturnException.Conflict(
        database
            + " is in use by another Keyturn process ("
            + holder
            + "): stop that process first, or give this one a database of its own");
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "(unknown host)";
    }
  }

  private static String reason(IOException e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
