package dev.keyturn.store;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Set;

/**
 * Runs JDBC work on connections of the store's pool, and copes with connections that PostgreSQL
 * dropped while they sat in the pool: a restart, {@code pg_terminate_backend}, {@code
 * idle_session_timeout}. HikariCP checks a connection before it hands it out only when it has been
 * idle for half a second, so a busy pool hands out dead connections, each of which would fail the
 * work it is given once. When work fails because its connection was dropped, every connection the
 * pool holds is closed and replaced (those in use when they come back): a server that dropped one
 * has usually dropped them all. The caller says whether the work may then run again, on a new
 * connection: only work that provably did not change anything, or that cannot change anything
 * twice.
 *
 * <p>SQLite connections are never dropped: on SQLite the work runs once, as it is. Thread-safe.
 */
final class DroppedConnections {
  /**
   * SQLSTATEs of a session the server ended: class 08 (connection exception) besides these, which
   * PostgreSQL sends when it terminates a session (an operator, a shutdown, a crash of another
   * backend, a start-up not yet done, an idle session's timeout).
   */
  private static final Set<String> ENDED = Set.of("57P01", "57P02", "57P03", "57P05");

  private final HikariDataSource pool;
  private final boolean droppable;

  DroppedConnections(HikariDataSource pool, Dialect dialect) {
    this.pool = pool;
    this.droppable = dialect == Dialect.POSTGRESQL;
  }

  /**
   * Runs {@code work} on a connection of the pool. When it throws a {@link SQLException} because
   * the server dropped that connection, the pool is renewed, and {@code again}, if present, runs on
   * a new connection, once; its failure is the one thrown. Work that must not run again after such
   * a failure (a commit whose outcome is unknown) throws it unchecked, as its cause: the pool is
   * renewed, and nothing runs again. Failures to get a connection (the pool waits for the server
   * itself) and to give it back after {@code work} returned are thrown as they are.
   *
   * @throws SQLException as {@code work} (or {@code again}) threw it, or from the pool
   */
  <T> T run(Jdbc.Work<T> work, Optional<Jdbc.Work<T>> again) throws SQLException {
    Connection c = pool.getConnection();
    T result;
    try {
      result = work.run(c);
    } catch (SQLException e) {
      closeAfter(c, e);
      if (!droppable || !isDropped(e)) {
        throw e;
      }
      renew();
      if (again.isEmpty()) {
        throw e;
      }
      try (Connection fresh = pool.getConnection()) {
        return again.get().run(fresh);
      } catch (SQLException | RuntimeException second) {
        second.addSuppressed(e);
        throw second;
      }
    } catch (RuntimeException | Error e) {
      closeAfter(c, e);
      if (droppable && isDropped(e)) {
        renew();
      }
      throw e;
    }
    c.close();
    return result;
  }

  private static void closeAfter(Connection c, Throwable failure) {
    try {
      c.close();
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  /** Closes every connection of the pool: idle ones now, those in use when they come back. */
  void renew() {
    HikariPoolMXBean connections = pool.getHikariPoolMXBean();
    if (connections != null) {
      connections.softEvictConnections();
    }
  }

  /**
   * Whether {@code e}, or an exception it was caused by, says the session is gone rather than that
   * the statement failed.
   */
  static boolean isDropped(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null) {
        String state = s.getSQLState();
        if (state.startsWith("08") || ENDED.contains(state)) {
          return true;
        }
      }
    }
    return false;
  }
}
