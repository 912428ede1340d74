package dev.keyturn.store;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Which processes are using a shared (PostgreSQL) store. Every running server holds a shared,
 * session-level advisory lock on the store (its database and schema) for as long as it runs; an
 * operator command that needs the store to itself takes the same lock exclusively, which fails
 * while any server runs and keeps servers from starting until it is done. The lock lives on a
 * connection of its own, outside the pool, so it ends with this object or with the process. For
 * other stores (SQLite is locked by a lock file) it holds nothing. Thread-safe.
 */
public final class NodePresence implements AutoCloseable {
  /** The advisory lock's first key ("kt"); the second is a hash of the schema. */
  private static final int KEY_CLASS = 0x6b74;

  private static final NodePresence NONE = new NodePresence(null);

  private final Connection connection;

  private NodePresence(Connection connection) {
    this.connection = connection;
  }

  /**
   * Marks a server as running on the store at {@code jdbcUrl}.
   *
   * @throws KeyturnException.Conflict while an operator command holds the store
   */
  public static NodePresence server(String jdbcUrl) {
    return take(
        jdbcUrl,
        "pg_try_advisory_lock_shared",
        "an operator command (keyturn operator ...) is using this store; start the server when it"
            + " is done");
  }

  /**
   * Takes the store at {@code jdbcUrl} for this process alone.
   *
   * @throws KeyturnException.Conflict while a server (or another operator command) uses it
   */
  public static NodePresence exclusive(String jdbcUrl) {
    return take(
        jdbcUrl,
        "pg_try_advisory_lock",
        "a Keyturn server (or another operator command) is using this store; stop every server"
            + " on it first");
  }

  private static NodePresence take(String jdbcUrl, String function, String refusal) {
    requireNonNull(jdbcUrl, "jdbcUrl");
    if (Dialect.of(jdbcUrl) != Dialect.POSTGRESQL) {
      return NONE;
    }
    Connection c = null;
    try {
      c = DriverManager.getConnection(jdbcUrl);
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + function + "(?, hashtext(current_schema()))")) {
        ps.setInt(1, KEY_CLASS);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            throw new KeyturnException.Conflict(refusal);
          }
        }
      }
      return new NodePresence(c);
    } catch (SQLException e) {
      closeQuietly(c);
      throw new KeyturnException.Unavailable(
          "cannot reach the store to mark this process: " + e.getSQLState(), e);
    } catch (RuntimeException e) {
      closeQuietly(c);
      throw e;
    }
  }

  @Override
  public void close() {
    closeQuietly(connection);
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close(); // ends the session, and with it its advisory locks
    } catch (SQLException e) {
      // the session is gone either way
    }
  }
}
