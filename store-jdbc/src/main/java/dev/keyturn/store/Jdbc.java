package dev.keyturn.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Where a role's SQL runs: on a pooled connection, each write in a transaction of its own, or on
 * the one connection of a unit of work, inside its transaction. Lets every role class serve both.
 */
interface Jdbc {

  /** A piece of JDBC work. */
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} that only reads. On a pooled connection that the server dropped, it runs
   * again on a new one ({@link DroppedConnections}).
   */
  <T> T read(Work<T> work);

  /**
   * Runs {@code work} that writes: atomically, alone or as part of the enclosing unit. Alone, on a
   * pooled connection that the server dropped before the commit, it runs again on a new one: it
   * must do nothing but its SQL on the connection, and note what it wrote ({@link #wrote}, {@link
   * #changed}) in the run that commits.
   */
  <T> T write(Work<T> work);

  /**
   * Records change events of a write on {@code c}: at once when the write is a transaction of its
   * own (it is about to commit), or just before the enclosing unit commits ({@link ChangeEvents}).
   */
  void changed(Connection c, java.util.List<ChangeEvents.Pending> events) throws SQLException;

  /**
   * Notes, from inside {@link #write} work, that protected {@code object} now has {@code
   * generation}: the audit record that commits with the write carries it.
   */
  void wrote(String object, long generation);
}
