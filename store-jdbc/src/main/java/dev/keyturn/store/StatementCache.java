package dev.keyturn.store;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the prepared statements of one connection for as long as it is borrowed, so that work that
 * prepares the same SQL many times (a restore's 64 secrets per transaction, each through the same
 * dozen statements) prepares it once. {@link #wrap} returns a connection whose {@code
 * prepareStatement(sql)} hands out an idle statement of that SQL if there is one; closing it clears
 * its parameters, batch and open result set and gives it back; closing the connection closes every
 * kept statement first. A statement in use is never handed out twice (nested use of the same SQL
 * prepares another). Statements hold SQL and bound parameters, never a value in the clear. Confined
 * to the thread that holds the connection, as the connection itself.
 */
final class StatementCache implements InvocationHandler {
  /** Distinct SQL kept at most: queries built for a number of ids vary, and are not kept beyond. */
  private static final int MAX_SQL = 64;

  private final Connection connection;
  private final Map<String, ArrayDeque<PreparedStatement>> idle = new HashMap<>();
  private final List<PreparedStatement> all = new ArrayList<>();

  private StatementCache(Connection connection) {
    this.connection = connection;
  }

  /** {@code connection} with its statements kept until it is closed. */
  static Connection wrap(Connection connection) {
    return (Connection)
        Proxy.newProxyInstance(
            StatementCache.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            new StatementCache(connection));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    if (name.equals("prepareStatement") && args != null && args.length == 1) {
      return borrow((String) args[0]);
    }
    if (name.equals("close") && (args == null || args.length == 0)) {
      closeAll();
    }
    return delegate(connection, method, args);
  }

  private PreparedStatement borrow(String sql) throws SQLException {
    ArrayDeque<PreparedStatement> free = idle.get(sql);
    PreparedStatement statement = free == null ? null : free.poll();
    boolean keep = free != null || idle.size() < MAX_SQL;
    if (statement == null) {
      statement = connection.prepareStatement(sql);
      if (keep) {
        idle.computeIfAbsent(sql, s -> new ArrayDeque<>());
        all.add(statement);
      }
    }
    if (!keep) {
      return statement;
    }
    PreparedStatement real = statement;
    return (PreparedStatement)
        Proxy.newProxyInstance(
            StatementCache.class.getClassLoader(),
            new Class<?>[] {PreparedStatement.class},
            new Borrowed(sql, real));
  }

  /** One use of a kept statement: its close gives it back. */
  private final class Borrowed implements InvocationHandler {
    private final String sql;
    private final PreparedStatement statement;
    private boolean returned;

    Borrowed(String sql, PreparedStatement statement) {
      this.sql = sql;
      this.statement = statement;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      String name = method.getName();
      if (name.equals("close") && (args == null || args.length == 0)) {
        giveBack();
        return null;
      }
      if (name.equals("isClosed") && (args == null || args.length == 0)) {
        return returned || statement.isClosed();
      }
      if (returned) {
        throw new SQLException("statement used after close");
      }
      return delegate(statement, method, args);
    }

    private void giveBack() throws SQLException {
      if (returned) {
        return;
      }
      returned = true;
      if (statement.isClosed()) {
        return;
      }
      try {
        ResultSet open = statement.getResultSet();
        if (open != null) {
          open.close();
        }
        statement.clearParameters();
        // A batch left by work that failed before running it must not run with the next one.
        statement.clearBatch();
      } catch (SQLException | RuntimeException e) {
        // Not reusable: closed, and not given back.
        statement.close();
        return;
      }
      idle.get(sql).push(statement);
    }
  }

  private void closeAll() {
    for (PreparedStatement statement : all) {
      try {
        statement.close();
      } catch (SQLException | RuntimeException e) {
        // The connection closes next, which closes what is left.
      }
    }
    all.clear();
    idle.clear();
  }

  private static Object delegate(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
