package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.SecretChange;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The change events table: pruning keeps the newest event; on PostgreSQL, units of work that update
 * secrets in crossing orders do not deadlock over the events' ordering lock, and ids follow commit
 * order.
 */
class ChangeEventsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final SecretName X = SecretName.of("ce/X");
  private static final SecretName Y = SecretName.of("ce/Y");

  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(T0);
  private String baseUrl;
  private String schema;

  private JdbcStore postgres() {
    baseUrl = TestServices.postgresUrl();
    schema = "kt_events_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute(baseUrl, "CREATE SCHEMA " + schema);
    return JdbcStore.open(
        baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema, clock);
  }

  @AfterEach
  void dropSchema() {
    if (schema != null) {
      execute(baseUrl, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  private static SecretChange addCurrent(StoredSecret s) {
    int n = s.versions().nextNumber();
    Version v =
        new Version(n, Stage.CURRENT, ValueType.STRING, T0, "tester", Optional.empty(), "fp-" + n);
    return new SecretChange(
        s.versions().add(v, Duration.ZERO, T0),
        Map.of(n, ("ct-" + n).getBytes(StandardCharsets.UTF_8)),
        s.wrappedDataKey().isPresent()
            ? Optional.empty()
            : Optional.of("dk".getBytes(StandardCharsets.UTF_8)),
        false);
  }

  private static List<String> current(List<ChangeEvent> events) {
    return events.stream()
        .filter(e -> e.stage().equals("current"))
        .map(e -> e.name() + "#" + e.version())
        .toList();
  }

  @Test
  void prune_dropsEventsOlderThanTheCutoff_butAlwaysKeepsTheNewest() {
    try (JdbcStore store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("k.db"), clock)) {
      store.secrets().update(X, ChangeEventsTest::addCurrent);
      clock.advance(Duration.ofHours(2));
      store.secrets().update(Y, ChangeEventsTest::addCurrent);
      ChangeEvents events = store.changeEvents();
      long newest = events.bounds().orElseThrow()[1];

      int first = events.prune(T0.plus(Duration.ofHours(1)));
      List<ChangeEvent> left = events.after(0, "", 100);
      int second = events.prune(T0.plus(Duration.ofDays(30)));

      assertThat(first).isEqualTo(1);
      assertThat(current(left)).containsExactly("ce/Y#1");
      assertThat(second).isZero();
      assertThat(events.bounds().orElseThrow()).containsExactly(newest, newest);
    }
  }

  @Test
  void crossingUnitsOfWork_onPostgres_bothCommit_andIdsFollowCommitOrder() throws Exception {
    java.util.concurrent.ExecutorService threads =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try (JdbcStore store = postgres()) {
      store.secrets().update(X, ChangeEventsTest::addCurrent);
      store.secrets().update(Y, ChangeEventsTest::addCurrent);
      long before = store.changeEvents().bounds().orElseThrow()[1];
      CountDownLatch firstHoldsX = new CountDownLatch(1);
      CompletableFuture<Void> second = new CompletableFuture<>();

      // First: X, then (once the second has locked Y and either committed or started waiting for
      // a lock) Y. Had the first taken the events' ordering lock while updating X, the second
      // would wait for it while holding Y, and the first would wait for Y: a deadlock.
      CompletableFuture<Void> first =
          CompletableFuture.runAsync(
              () ->
                  store.inTransaction(unit -> {
                    unit.secrets().update(X, ChangeEventsTest::addCurrent);
                    firstHoldsX.countDown();
                    waitUntil(() -> second.isDone() || orderLockWaiters() > 0);
                    unit.secrets().update(Y, ChangeEventsTest::addCurrent);
                    return null;
                  }),
              threads);
      CompletableFuture.runAsync(
          () -> {
            try {
              firstHoldsX.await(30, TimeUnit.SECONDS);
              store.inTransaction(unit -> unit.secrets().update(Y, ChangeEventsTest::addCurrent));
              second.complete(null);
            } catch (Throwable t) {
              second.completeExceptionally(t);
            }
          },
          threads);

      first.get(60, TimeUnit.SECONDS);
      second.get(60, TimeUnit.SECONDS);
      List<ChangeEvent> events = store.changeEvents().after(before, "", 100);

      assertThat(current(events)).containsExactly("ce/Y#2", "ce/X#2", "ce/Y#3");
      assertThat(store.secrets().find(Y).orElseThrow().versions().current().orElseThrow().number())
          .isEqualTo(3);
    } finally {
      threads.shutdownNow();
    }
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) {
    try {
      Eventually.waitFor(Duration.ofSeconds(30), condition);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sessions waiting for the change events' ordering lock in this database. */
  private long orderLockWaiters() {
    try (Connection c = DriverManager.getConnection(baseUrl);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    + " AND classid = ? AND objid = ?")) {
      ps.setLong(1, 0x6b7477L);
      ps.setLong(2, 0x61746368L);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + " failed", e);
    }
  }
}
