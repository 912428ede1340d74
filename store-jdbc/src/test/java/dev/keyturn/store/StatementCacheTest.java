package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.DriverDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.jdbc4.JDBC4PreparedStatement;

/** {@link StatementCache} on a real SQLite connection. */
class StatementCacheTest {
  @TempDir Path dir;
  private Connection raw;
  private Connection c;

  @BeforeEach
  void open() throws SQLException {
    raw = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("t.db"));
    try (var s = raw.createStatement()) {
      s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
    }
    c = StatementCache.wrap(raw);
  }

  @AfterEach
  void close() throws SQLException {
    c.close();
  }

  @Test
  void prepareStatement_sameSqlAfterClose_isPreparedOnceAndBindsAfresh() throws SQLException {
    List<String> read = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (id, v) VALUES (?, ?)")) {
        ps.setInt(1, i);
        ps.setString(2, "v" + i);
        ps.executeUpdate();
      }
    }
    PreparedStatement first = null;
    for (int i = 0; i < 3; i++) {
      try (PreparedStatement ps = c.prepareStatement("SELECT v FROM t WHERE id = ?")) {
        PreparedStatement real = ps.unwrap(PreparedStatement.class);
        if (first == null) {
          first = real;
        }
        assertThat(real).isSameAs(first);
        ps.setInt(1, i);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          read.add(rs.getString(1));
        }
      }
    }

    assertThat(read).containsExactly("v0", "v1", "v2");
  }

  @Test
  void prepareStatement_sameSqlWhileInUse_getsAnotherStatement() throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (id, v) VALUES (?, ?)")) {
      for (int i = 0; i < 4; i++) {
        ps.setInt(1, i);
        ps.setString(2, "v" + i);
        ps.executeUpdate();
      }
    }
    String sql = "SELECT id FROM t WHERE id >= ? ORDER BY id";
    List<String> pairs = new ArrayList<>();
    try (PreparedStatement outer = c.prepareStatement(sql)) {
      outer.setInt(1, 2);
      try (ResultSet o = outer.executeQuery()) {
        while (o.next()) {
          try (PreparedStatement inner = c.prepareStatement(sql)) {
            assertThat(inner.unwrap(PreparedStatement.class))
                .isNotSameAs(outer.unwrap(PreparedStatement.class));
            inner.setInt(1, 3);
            try (ResultSet i = inner.executeQuery()) {
              while (i.next()) {
                pairs.add(o.getInt(1) + "-" + i.getInt(1));
              }
            }
          }
        }
      }
    }

    assertThat(pairs).containsExactly("2-3", "3-3");
  }

  @Test
  void statement_usedAfterClose_throws() throws SQLException {
    PreparedStatement ps = c.prepareStatement("SELECT 1");
    ps.close();

    assertThat(ps.isClosed()).isTrue();
    assertThatThrownBy(ps::executeQuery).isInstanceOf(SQLException.class);
  }

  @Test
  void close_closesEveryKeptStatement() throws SQLException {
    PreparedStatement ps = c.prepareStatement("SELECT 1");
    PreparedStatement real = ps.unwrap(PreparedStatement.class);
    ps.close();

    c.close();

    assertThat(real.isClosed()).isTrue();
    assertThat(raw.isClosed()).isTrue();
  }

  @Test
  void close_resultSetLeftOpen_resetsTheStatementSoItHoldsNoSnapshot() throws SQLException {
    insert(1, "v1");
    String sql = "SELECT v FROM t ORDER BY id";
    PreparedStatement first = c.prepareStatement(sql);
    PreparedStatement real = first.unwrap(PreparedStatement.class);
    ResultSet rs = first.executeQuery();
    rs.next();
    first.close();
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("t.db"));
        var s = other.createStatement()) {
      s.executeUpdate("INSERT INTO t (id, v) VALUES (2, 'v2')");
    }

    List<String> read = new ArrayList<>();
    try (PreparedStatement again = c.prepareStatement(sql);
        ResultSet all = again.executeQuery()) {
      assertThat(again.unwrap(PreparedStatement.class)).isSameAs(real);
      while (all.next()) {
        read.add(all.getString(1));
      }
    }

    assertThat(rs.isClosed()).isTrue();
    assertThat(read).containsExactly("v1", "v2");
  }

  @Test
  void close_afterASettingChanged_closesTheStatementInsteadOfKeepingIt() throws SQLException {
    PreparedStatement ps = c.prepareStatement("SELECT 1");
    PreparedStatement real = ps.unwrap(PreparedStatement.class);
    ps.setMaxRows(1);
    ps.close();

    try (PreparedStatement next = c.prepareStatement("SELECT 1")) {
      assertThat(next.unwrap(PreparedStatement.class)).isNotSameAs(real);
    }
    assertThat(real.isClosed()).isTrue();
  }

  @Test
  void prepareStatement_moreSqlThanKept_closesTheLeastRecentlyUsed() throws SQLException {
    List<PreparedStatement> reals = new ArrayList<>();
    for (int i = 0; i <= StatementCache.MAX_SQL; i++) {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + i)) {
        reals.add(ps.unwrap(PreparedStatement.class));
      }
      if (i == 1) {
        // Used again: the least recently used is now "SELECT 1".
        try (PreparedStatement ps = c.prepareStatement("SELECT 0")) {
          assertThat(ps.unwrap(PreparedStatement.class)).isSameAs(reals.get(0));
        }
      }
    }

    assertThat(reals.get(1).isClosed()).isTrue();
    assertThat(reals.get(0).isClosed()).isFalse();
    try (PreparedStatement ps = c.prepareStatement("SELECT " + StatementCache.MAX_SQL)) {
      assertThat(ps.unwrap(PreparedStatement.class)).isSameAs(reals.get(StatementCache.MAX_SQL));
    }
  }

  @Test
  void keeping_pooledConnection_keepsItsStatementsAcrossBorrows() throws SQLException {
    HikariConfig config = new HikariConfig();
    config.setDataSource(
        StatementCache.keeping(
            new DriverDataSource(
                "jdbc:sqlite:" + dir.resolve("t.db"), null, new Properties(), null, null)));
    config.setMaximumPoolSize(1);
    PreparedStatement first;
    try (HikariDataSource pool = new HikariDataSource(config)) {
      try (Connection borrowed = pool.getConnection();
          PreparedStatement ps = borrowed.prepareStatement("SELECT v FROM t WHERE id = ?")) {
        first = ps.unwrap(JDBC4PreparedStatement.class);
        ps.setInt(1, 1);
        ps.executeQuery().close();
      }

      try (Connection borrowed = pool.getConnection();
          PreparedStatement ps = borrowed.prepareStatement("SELECT v FROM t WHERE id = ?")) {
        assertThat(ps.unwrap(JDBC4PreparedStatement.class)).isSameAs(first);
      }
    }

    assertThat(first.isClosed()).isTrue();
  }

  private void insert(int id, String v) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (id, v) VALUES (?, ?)")) {
      ps.setInt(1, id);
      ps.setString(2, v);
      ps.executeUpdate();
    }
  }
}
