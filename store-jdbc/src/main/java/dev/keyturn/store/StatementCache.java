package dev.keyturn.store;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A connection that keeps its prepared statements for as long as it is open, so that SQL prepared
 * again and again (every read and write of the store goes through a few dozen statements) is
 * prepared once per physical connection: across borrows from the pool and across the groups of a
 * {@link GroupCommit}. sqlite-jdbc has no statement cache of its own, and preparing was a quarter
 * of the rotation benchmark's CPU time.
 *
 * <p>{@code prepareStatement(sql)} hands out an idle statement of that SQL if there is one, else
 * prepares one. Closing what it handed out ends that use: its open result set is closed (which
 * resets the statement, so it holds no read snapshot), its parameters and batch cleared, and the
 * statement is kept for the next use. A statement in use is never handed out twice (nested use of
 * the same SQL prepares another); a handle whose use ended refuses every call; a statement whose
 * settings were changed (fetch size, timeouts, maximum rows ...) is closed rather than kept, so no
 * setting carries over to another use. The {@value #MAX_SQL} most recently used SQL texts are kept,
 * the idle statements of older ones closed. Closing the connection closes every kept statement
 * first. Statements hold SQL and bound parameters, never a value in the clear.
 *
 * <p>Not thread-safe: used by one thread at a time, as the connection itself (a pool or the group
 * commit's lock hands it from one thread to the next).
 */
final class StatementCache extends ForwardingConnection {
  /** Distinct SQL texts kept at most: queries built for a number of ids vary. */
  static final int MAX_SQL = 64;

  /** Idle statements by SQL, least recently used first. */
  private final LinkedHashMap<String, ArrayDeque<PreparedStatement>> idle =
      new LinkedHashMap<>(16, 0.75f, true);

  /** Every statement kept, idle or in use: closed with the connection. */
  private final Set<PreparedStatement> kept = new HashSet<>();

  private StatementCache(Connection connection) {
    super(connection);
  }

  /** {@code connection} with its statements kept until it is closed. */
  static Connection wrap(Connection connection) {
    return new StatementCache(connection);
  }

  /** A data source whose every connection keeps its statements ({@link #wrap}). */
  static DataSource keeping(DataSource connections) {
    return new Source(connections);
  }

  @Override
  public PreparedStatement prepareStatement(String sql) throws SQLException {
    ArrayDeque<PreparedStatement> free = idle.get(sql);
    PreparedStatement statement = free == null ? null : free.poll();
    if (statement == null) {
      statement = connection.prepareStatement(sql);
      if (free == null) {
        idle.put(sql, new ArrayDeque<>(2));
        evictOldest();
      }
      kept.add(statement);
    }
    return new Lease(sql, statement);
  }

  /** Closes the idle statements of the least recently used SQL beyond {@link #MAX_SQL}. */
  private void evictOldest() {
    Iterator<Map.Entry<String, ArrayDeque<PreparedStatement>>> oldest = idle.entrySet().iterator();
    while (idle.size() > MAX_SQL && oldest.hasNext()) {
      for (PreparedStatement statement : oldest.next().getValue()) {
        closeQuietly(statement);
      }
      // A statement of it still in use is closed when its use ends (giveBack finds no entry).
      oldest.remove();
    }
  }

  /** Ends a use of {@code statement}: kept for the next if it is reusable, else closed. */
  private void giveBack(String sql, PreparedStatement statement, Lease lease) {
    ArrayDeque<PreparedStatement> free = idle.get(sql);
    if (free == null || lease.changed || !reset(statement, lease)) {
      closeQuietly(statement);
      return;
    }
    free.push(statement);
  }

  /** Leaves {@code statement} as freshly prepared; false if it could not be. */
  private static boolean reset(PreparedStatement statement, Lease lease) {
    try {
      if (statement.isClosed()) {
        return false;
      }
      ResultSet open = lease.resultSet;
      if (open == null && lease.executed) {
        // execute() may have left a result set nobody asked for: it holds the statement open.
        open = statement.getResultSet();
      }
      if (open != null) {
        open.close();
      }
      statement.clearParameters();
      // A batch left by work that failed before running it must not run with the next one.
      statement.clearBatch();
      return true;
    } catch (SQLException | RuntimeException e) {
      return false;
    }
  }

  private void closeQuietly(PreparedStatement statement) {
    kept.remove(statement);
    try {
      statement.close();
    } catch (SQLException | RuntimeException e) {
      // Closing the connection closes what is left.
    }
  }

  @Override
  public void close() throws SQLException {
    for (PreparedStatement statement : kept) {
      try {
        statement.close();
      } catch (SQLException | RuntimeException e) {
        // The connection closes next, which closes what is left.
      }
    }
    kept.clear();
    idle.clear();
    connection.close();
  }

  /** One use of a kept statement: its close gives the statement back. */
  private final class Lease extends ForwardingPreparedStatement {
    private final String sql;
    private final PreparedStatement statement;
    private boolean ended;

    /** The result set of the last query, closed when the use ends. */
    ResultSet resultSet;

    /** Whether {@code execute} ran, which may leave a result set open. */
    boolean executed;

    /** Whether a setting of the statement changed: it is then not kept. */
    boolean changed;

    Lease(String sql, PreparedStatement statement) {
      this.sql = sql;
      this.statement = statement;
    }

    @Override
    PreparedStatement target() throws SQLException {
      if (ended) {
        throw new SQLException("statement used after close");
      }
      return statement;
    }

    @Override
    public void close() {
      if (!ended) {
        ended = true;
        giveBack(sql, statement, this);
      }
    }

    @Override
    public boolean isClosed() throws SQLException {
      return ended || statement.isClosed();
    }

    @Override
    public Connection getConnection() throws SQLException {
      target();
      return StatementCache.this;
    }

    @Override
    public ResultSet executeQuery() throws SQLException {
      resultSet = target().executeQuery();
      return resultSet;
    }

    @Override
    public ResultSet getResultSet() throws SQLException {
      ResultSet rs = target().getResultSet();
      if (rs != null) {
        resultSet = rs;
      }
      return rs;
    }

    @Override
    public boolean execute() throws SQLException {
      executed = true;
      return target().execute();
    }

    @Override
    public ResultSet executeQuery(String sql) throws SQLException {
      changed = true;
      return target().executeQuery(sql);
    }

    @Override
    public boolean execute(String sql) throws SQLException {
      changed = true;
      return target().execute(sql);
    }

    @Override
    public boolean execute(String sql, int autoGeneratedKeys) throws SQLException {
      changed = true;
      return target().execute(sql, autoGeneratedKeys);
    }

    @Override
    public boolean execute(String sql, int[] columnIndexes) throws SQLException {
      changed = true;
      return target().execute(sql, columnIndexes);
    }

    @Override
    public boolean execute(String sql, String[] columnNames) throws SQLException {
      changed = true;
      return target().execute(sql, columnNames);
    }

    @Override
    public void addBatch(String sql) throws SQLException {
      changed = true;
      target().addBatch(sql);
    }

    @Override
    public void setMaxRows(int max) throws SQLException {
      changed = true;
      target().setMaxRows(max);
    }

    @Override
    public void setLargeMaxRows(long max) throws SQLException {
      changed = true;
      target().setLargeMaxRows(max);
    }

    @Override
    public void setMaxFieldSize(int max) throws SQLException {
      changed = true;
      target().setMaxFieldSize(max);
    }

    @Override
    public void setQueryTimeout(int seconds) throws SQLException {
      changed = true;
      target().setQueryTimeout(seconds);
    }

    @Override
    public void setFetchSize(int rows) throws SQLException {
      changed = true;
      target().setFetchSize(rows);
    }

    @Override
    public void setFetchDirection(int direction) throws SQLException {
      changed = true;
      target().setFetchDirection(direction);
    }

    @Override
    public void setEscapeProcessing(boolean enable) throws SQLException {
      changed = true;
      target().setEscapeProcessing(enable);
    }

    @Override
    public void setCursorName(String name) throws SQLException {
      changed = true;
      target().setCursorName(name);
    }

    @Override
    public void setPoolable(boolean poolable) throws SQLException {
      changed = true;
      target().setPoolable(poolable);
    }

    @Override
    public void closeOnCompletion() throws SQLException {
      changed = true;
      target().closeOnCompletion();
    }
  }

  /** Hands out connections of another data source, each wrapped. */
  private static final class Source implements DataSource {
    private final DataSource connections;

    Source(DataSource connections) {
      this.connections = connections;
    }

    @Override
    public Connection getConnection() throws SQLException {
      return wrap(connections.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return wrap(connections.getConnection(username, password));
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return connections.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      connections.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      connections.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return connections.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      return connections.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      return connections.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
      return connections.isWrapperFor(type);
    }
  }
}
