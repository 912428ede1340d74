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

  /** Runs {@code work} that only reads. */
  <T> T read(Work<T> work);

  /** Runs {@code work} that writes: atomically, alone or as part of the enclosing unit. */
  <T> T write(Work<T> work);
}
