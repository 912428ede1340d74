package dev.keyturn.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;

/**
 * The write transactions of the embedded store (SQLite), run one at a time in this process and
 * committed in groups. SQLite has one writer: without this, writers on several pooled connections
 * wait for its lock in SQLite's busy handler, which polls with sleeps of up to 100 ms, and every
 * transaction pays an fsync of its own.
 *
 * <p>Here a writer takes an in-process lock and runs its work on the one connection of the open
 * group, inside a savepoint; when no other writer is waiting for the lock (or the group is full),
 * it commits the group: one fsync for every transaction in it. A caller returns only when the
 * commit that holds its work succeeded, so each write is as durable and as atomic as a transaction
 * of its own: work that throws is rolled back to its savepoint, leaving the group's other work
 * alone, and when the group itself cannot commit (or SQLite rolled it back as a whole) every caller
 * in it gets the failure and nothing of it is stored. Work in a group sees the uncommitted writes
 * of the work before it; readers on other connections see none of them until the commit, as before.
 *
 * <p>Thread-safe. Work must not start another write transaction of the store (it would wait for
 * itself); {@link #heldByCurrentThread} tells a caller that it is inside one.
 */
final class GroupCommit {
  /** Transactions per group at most: bounds how long the first caller of a group waits. */
  private static final int MAX_UNITS = 256;

  private final DataSource dataSource;
  private final ReentrantLock lock = new ReentrantLock();

  /** The group taking work now; guarded by {@link #lock}. */
  private Group open;

  GroupCommit(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** How many callers wait to run their work (for tests that build a group). */
  int waiting() {
    return lock.getQueueLength();
  }

  /** Whether the calling thread is running work of a group now. */
  boolean heldByCurrentThread() {
    return lock.isHeldByCurrentThread();
  }

  /**
   * Runs {@code work} in the open group and returns its result once the group committed.
   *
   * @throws SQLException if the work failed (it is rolled back), or the group could not commit
   */
  <T> T run(Jdbc.Work<T> work) throws SQLException {
    Group group;
    T result;
    lock.lock();
    try {
      if (open == null) {
        open = new Group(begin());
      }
      group = open;
      Connection c = group.connection;
      Savepoint savepoint = c.setSavepoint();
      try {
        result = work.run(c);
        c.releaseSavepoint(savepoint);
      } catch (SQLException | RuntimeException | Error e) {
        undo(group, savepoint, e);
        throw e;
      }
      group.units++;
    } finally {
      try {
        if (open != null && (open.units >= MAX_UNITS || !lock.hasQueuedThreads())) {
          commitOpen();
        }
      } finally {
        lock.unlock();
      }
    }
    group.await();
    return result;
  }

  private Connection begin() throws SQLException {
    Connection c = dataSource.getConnection();
    try {
      c.setAutoCommit(false);
      return c;
    } catch (SQLException | RuntimeException e) {
      closeQuietly(c, e);
      throw e;
    }
  }

  /**
   * Takes back what failed work wrote. When its savepoint is gone too (SQLite rolls back the whole
   * transaction on some errors, such as a full disk), the group is lost: every caller in it fails.
   */
  private void undo(Group group, Savepoint savepoint, Throwable cause) {
    try {
      group.connection.rollback(savepoint);
      group.connection.releaseSavepoint(savepoint);
    } catch (SQLException | RuntimeException e) {
      cause.addSuppressed(e);
      open = null;
      try {
        group.connection.rollback();
      } catch (SQLException | RuntimeException r) {
        cause.addSuppressed(r);
      }
      group.end(new SQLException("an earlier write of the same group failed", cause));
    }
  }

  /** Commits the open group and releases its callers; never throws (they get the failure). */
  private void commitOpen() {
    Group group = open;
    open = null;
    SQLException failure = null;
    try {
      group.connection.commit();
    } catch (SQLException | RuntimeException e) {
      failure = new SQLException("the store could not commit: " + e.getMessage(), e);
      try {
        group.connection.rollback();
      } catch (SQLException | RuntimeException r) {
        failure.addSuppressed(r);
      }
    }
    group.end(failure);
  }

  private static void closeQuietly(Connection c, Throwable cause) {
    try {
      c.close();
    } catch (SQLException | RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  /** One transaction holding the work of several callers. */
  private static final class Group {
    final Connection connection;
    final CountDownLatch ended = new CountDownLatch(1);
    int units;
    private volatile SQLException failure;

    Group(Connection connection) {
      this.connection = connection;
    }

    /** Ends the group with {@code failure} (null: committed) and gives its connection back. */
    void end(SQLException failure) {
      this.failure = failure;
      try {
        connection.setAutoCommit(true);
      } catch (SQLException | RuntimeException e) {
        if (failure != null) {
          failure.addSuppressed(e);
        }
      } finally {
        try {
          connection.close();
        } catch (SQLException | RuntimeException e) {
          if (failure != null) {
            failure.addSuppressed(e);
          }
        }
      }
      ended.countDown();
    }

    /** Waits for the group's end; throws its failure. A caller must learn the outcome. */
    void await() throws SQLException {
      boolean interrupted = false;
      while (true) {
        try {
          ended.await();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      SQLException f = failure;
      if (f != null) {
        throw new SQLException(f.getMessage(), f);
      }
    }
  }
}
