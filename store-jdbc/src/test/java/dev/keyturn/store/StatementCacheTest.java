package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
