package dev.keyturn.server;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/** An exclusive lock on a data folder ({@code DATA/.lock}), held while a server runs. */
final class DataDirLock implements AutoCloseable {
  static final DataDirLock NONE = new DataDirLock(null, null);

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static DataDirLock acquire(Path dataDir) {
    Path file = dataDir.resolve(".lock");
    try {
      FileChannel channel =
          FileChannel.open(
              file,
              java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      FileLock lock = channel.tryLock();
      if (lock == null) {
        channel.close();
        throw new Bootstrap.StartupException(
            "another Keyturn server is using "
                + dataDir
                + "; stop it, or give this one its own --data");
      }
      return new DataDirLock(channel, lock);
    } catch (IOException e) {
      throw new Bootstrap.StartupException("cannot lock " + file + ": " + e.getMessage());
    }
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
    }
  }
}
