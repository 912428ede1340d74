package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link GroupCommit} on a real SQLite file (WAL, synchronous=FULL, BEGIN IMMEDIATE). */
class GroupCommitTest {
  @TempDir Path dir;
  private HikariDataSource dataSource;
  private GroupCommit group;

  @BeforeEach
  void open() throws SQLException {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:sqlite:" + dir.resolve("t.db"));
    config.addDataSourceProperty("journal_mode", "WAL");
    config.addDataSourceProperty("synchronous", "FULL");
    config.addDataSourceProperty("busy_timeout", "30000");
    config.addDataSourceProperty("transaction_mode", "IMMEDIATE");
    config.setMaximumPoolSize(8);
    dataSource = new HikariDataSource(config);
    try (Connection c = dataSource.getConnection()) {
      c.createStatement().execute("CREATE TABLE t (id TEXT PRIMARY KEY)");
    }
    group = new GroupCommit(dataSource);
  }

  @AfterEach
  void close() {
    dataSource.close();
  }

  @Test
  void run_manyThreads_eachWriteIsCommittedWhenItsCallReturns() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<?>> done = new ArrayList<>();
    List<String> unseen = java.util.Collections.synchronizedList(new ArrayList<>());

    for (int i = 0; i < 400; i++) {
      String id = "row-" + i;
      done.add(
          pool.submit(() -> {
            group.run(c -> insert(c, id));
            if (!exists(id)) {
              unseen.add(id);
            }
            return null;
          }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();

    assertThat(unseen).isEmpty();
    assertThat(count()).isEqualTo(400);
  }

  @Test
  void run_workThrowsInAGroup_onlyItsWritesAreRolledBack() throws Exception {
    CompletableFuture<Void> failing = new CompletableFuture<>();
    CompletableFuture<Void> after = new CompletableFuture<>();

    group.run(c -> {
      insert(c, "first");
      // Two more callers queue behind this one, so that all three share one transaction.
      Thread.ofPlatform()
          .start(() -> {
            try {
              group.run(w -> {
                insert(w, "failing");
                throw new IllegalStateException("refused");
              });
              failing.complete(null);
            } catch (Throwable e) {
              failing.completeExceptionally(e);
            }
          });
      awaitWaiting(1);
      Thread.ofPlatform()
          .start(() -> {
            try {
              group.run(w -> insert(w, "after"));
              after.complete(null);
            } catch (Throwable e) {
              after.completeExceptionally(e);
            }
          });
      awaitWaiting(2);
      return null;
    });
    after.get();

    assertThatThrownBy(failing::get).hasRootCauseMessage("refused");
    assertThat(exists("first")).isTrue();
    assertThat(exists("after")).isTrue();
    assertThat(exists("failing")).isFalse();
  }

  @Test
  void run_groupCannotCommit_everyCallerInItFailsAndNothingIsStored() throws Exception {
    CompletableFuture<Void> second = new CompletableFuture<>();

    assertThatThrownBy(() ->
            group.run(c -> {
              insert(c, "first");
              Thread.ofPlatform()
                  .start(() -> {
                    try {
                      // Ends the group's transaction under it: its commit then fails.
                      group.run(w -> {
                        insert(w, "second");
                        w.createStatement().execute("ROLLBACK");
                        return null;
                      });
                      second.complete(null);
                    } catch (Throwable e) {
                      second.completeExceptionally(e);
                    }
                  });
              awaitWaiting(1);
              return null;
            }))
        .isInstanceOf(SQLException.class);

    assertThatThrownBy(second::get).hasCauseInstanceOf(SQLException.class);
    assertThat(count()).isZero();
    group.run(c -> insert(c, "later"));
    assertThat(exists("later")).isTrue();
  }

  private void awaitWaiting(int callers) {
    while (group.waiting() < callers) {
      Thread.onSpinWait();
    }
  }

  private static Void insert(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (id) VALUES (?)")) {
      ps.setString(1, id);
      ps.executeUpdate();
    }
    return null;
  }

  private boolean exists(String id) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT 1 FROM t WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private long count() throws SQLException {
    try (Connection c = dataSource.getConnection();
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM t")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
