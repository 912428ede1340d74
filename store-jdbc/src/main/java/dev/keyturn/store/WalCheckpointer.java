package dev.keyturn.store;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints a SQLite store's write-ahead log from a thread of its own. The store's connections
 * run with {@code wal_autocheckpoint=0}: otherwise the commit that crosses SQLite's threshold
 * (1,000 pages) copies the log into the database file and syncs it before it returns, and the
 * requests waiting on that commit (a group of audit records, a change) wait for it too. A passive
 * checkpoint takes no lock that a writer or reader waits for; it copies what no reader still needs,
 * and the next writer starts the log over once all of it is copied. A failed checkpoint leaves the
 * log longer, never a commit undone (commits are durable in the log).
 *
 * <p>Thread-safe. {@link #close} stops the thread; the last connection to close checkpoints what is
 * left.
 */
final class WalCheckpointer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WalCheckpointer.class);
  static final long INTERVAL_MILLIS = 200;

  private final DataSource dataSource;
  private final Thread thread;
  private volatile boolean closed;

  WalCheckpointer(DataSource dataSource) {
    this.dataSource = requireNonNull(dataSource, "dataSource");
    this.thread = Thread.ofPlatform().name("keyturn-checkpoint").daemon(true).start(this::run);
  }

  private void run() {
    boolean failing = false;
    while (!closed) {
      try {
        TimeUnit.MILLISECONDS.sleep(INTERVAL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      try {
        checkpoint(dataSource);
        if (failing) {
          log.info("write-ahead log checkpoints succeed again");
        }
        failing = false;
      } catch (SQLException | RuntimeException e) {
        if (!failing && !closed) {
          // Once per failing streak: a checkpoint is retried every interval.
          log.warn("write-ahead log checkpoint failed (retrying): {}", e.getMessage());
        }
        failing = true;
      }
    }
  }

  /** Runs one passive checkpoint; returns the log's frames not yet copied into the database. */
  static long checkpoint(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
      return rs.next() ? rs.getLong(2) - rs.getLong(3) : 0;
    }
  }

  /**
   * Copies the whole log into the database file and empties the log file, so that page images
   * written before (a row since deleted, zeroed in its page by {@code secure_delete}) are in
   * neither file. Waits for readers and writers up to the connection's busy timeout; a checkpoint
   * that cannot finish is logged and left to the next one (the log is then emptied when it next
   * starts over, and overwritten as it grows again).
   *
   * @return whether the log was emptied
   */
  boolean truncate() {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
      boolean done = rs.next() && rs.getInt(1) == 0;
      if (!done) {
        log.warn("write-ahead log not emptied: readers or writers kept it busy");
      }
      return done;
    } catch (SQLException | RuntimeException e) {
      log.warn("write-ahead log not emptied: {}", e.getMessage());
      return false;
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
