package dev.keyturn.client;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * A HikariCP pool for one version of a database secret, checked with {@code SELECT 1} before it
 * serves. Thread-safe.
 */
final class LoginPool {
  private final DatabaseLogin login;
  private final HikariDataSource pool;
  private volatile Instant drainingSince;

  private LoginPool(DatabaseLogin login, HikariDataSource pool) {
    this.login = login;
    this.pool = pool;
  }

  /**
   * A new pool for {@code login}, configured by {@code settings} first; URL, user and password are
   * always the login's.
   *
   * @throws SQLException when the pool cannot open a connection or {@code SELECT 1} fails on it;
   *     nothing is left open then
   */
  static LoginPool open(DatabaseLogin login, Consumer<HikariConfig> settings) throws SQLException {
    HikariConfig config = new HikariConfig();
    settings.accept(config);
    config.setPoolName("keyturn-" + login.secret().replace('/', '.') + "-v" + login.version());
    config.setJdbcUrl(login.jdbcUrl());
    config.setUsername(login.username());
    config.setPassword(login.revealPassword());
    login.sslmode().ifPresent(mode -> config.addDataSourceProperty("sslmode", mode));
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(config);
    } catch (RuntimeException e) {
      // HikariCP's PoolInitializationException: the first connection failed (its cause says why).
      if (e.getCause() instanceof SQLException sql) {
        throw sql;
      }
      throw new SQLException(
          login.secret() + "#" + login.version() + ": the pool did not start", e);
    }
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT 1")) {
      if (!r.next() || r.getInt(1) != 1) {
        throw new SQLException("SELECT 1 did not answer 1");
      }
    } catch (SQLException | RuntimeException e) {
      pool.close();
      throw e;
    }
    warm(pool, config);
    return new LoginPool(login, pool);
  }

  /**
   * Waits (at most the connection timeout) until the pool holds its minimum of idle connections, so
   * that the threads sent to it after a switch do not all wait for logins at once.
   */
  private static void warm(HikariDataSource pool, HikariConfig config) {
    int wanted = Math.min(config.getMinimumIdle(), config.getMaximumPoolSize());
    long end = System.nanoTime() + config.getConnectionTimeout() * 1_000_000L;
    try {
      while (pool.getHikariPoolMXBean().getTotalConnections() < wanted && System.nanoTime() < end) {
        Thread.sleep(5);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  DatabaseLogin login() {
    return login;
  }

  int version() {
    return login.version();
  }

  Connection connection() throws SQLException {
    return pool.getConnection();
  }

  boolean isClosed() {
    return pool.isClosed();
  }

  /**
   * Stops the pool from making or keeping idle connections: idle ones close now, borrowed ones
   * close when they come back.
   */
  void startDraining(Instant now) {
    drainingSince = now;
    try {
      pool.getHikariConfigMXBean().setMinimumIdle(0);
    } catch (RuntimeException e) {
      // an older HikariCP refuses runtime changes; the eviction below still closes idle ones
    }
    pool.getHikariPoolMXBean().softEvictConnections();
  }

  Instant drainingSince() {
    return drainingSince;
  }

  /** Connections borrowed and not yet returned. */
  int borrowed() {
    return pool.isClosed() ? 0 : pool.getHikariPoolMXBean().getActiveConnections();
  }

  /** Closes every connection, aborting borrowed ones. */
  void close() {
    pool.close();
  }

  @Override
  public String toString() {
    return "LoginPool[" + login + "]";
  }
}
