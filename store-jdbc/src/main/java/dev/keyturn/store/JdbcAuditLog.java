package dev.keyturn.store;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.integrity.Generations;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.core.spi.AuditRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The audit log in the {@code audit} table of a {@link JdbcStore}, with group commit: one writer
 * thread takes every append waiting in its queue, chains and inserts them in one transaction (one
 * fsync for all), then releases their callers. Several nodes on one PostgreSQL database extend one
 * chain: each batch takes a transaction-scoped advisory lock and reads the head inside it (SQLite
 * serializes writers anyway); while the head is the one this node last wrote, a batch is one round
 * trip ({@link OneTripAppend}).
 *
 * <p>Thread-safe. {@link #append} returns only once the records are durable, and throws {@link
 * KeyturnException.Unavailable} when they could not be written.
 */
final class JdbcAuditLog implements AuditLog {
  private static final int MAX_BATCH = 4096;
  private static final int ROWS_PER_INSERT = 64;
  private static final long APPEND_TIMEOUT_SECONDS = 30;
  static final long CHAIN_LOCK = 0x6b65797475726eL; // "keyturn"
  static final String COLUMNS =
      "seq, time, token_id, client, action, secret, version, result, detail, key_id, mac,"
          + " generations";
  private static final int FIELDS = 12;

  private final Jdbc jdbc;
  private final Dialect dialect;
  private final AuditChain chain;
  private final Optional<DroppedConnections> autoCommit;
  private final OneTripAppend oneTrip = new OneTripAppend();
  private final Consumer<Chained> committed;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private volatile List<Pending> inFlight = List.of();
  private volatile boolean closed;

  /**
   * The audit log written through {@code jdbc}; on PostgreSQL, batches go in one round trip on
   * {@code autoCommit}'s connections when they can. {@code committed} is told of every batch the
   * writer committed, on the writer thread.
   */
  JdbcAuditLog(
      Jdbc jdbc,
      Dialect dialect,
      AuditChain chain,
      Optional<DroppedConnections> autoCommit,
      Consumer<Chained> committed) {
    this.jdbc = jdbc;
    this.dialect = dialect;
    this.chain = requireNonNull(chain, "chain");
    this.autoCommit = dialect == Dialect.POSTGRESQL ? autoCommit : Optional.empty();
    this.committed = requireNonNull(committed, "committed");
    this.writer = Thread.ofPlatform().name("keyturn-audit").daemon(true).start(this::writeLoop);
    Thread.ofPlatform().name("keyturn-audit-watchdog").daemon(true).start(this::watch);
  }

  @Override
  public void append(List<AuditEvent> events) {
    try {
      appendAsync(events).get(APPEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof KeyturnException.Unavailable u
          ? u
          : new KeyturnException.Unavailable("the audit log could not be written", e.getCause());
    } catch (TimeoutException e) {
      throw new KeyturnException.Unavailable("the audit log did not answer in time", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyturnException.Unavailable("interrupted while writing the audit log", e);
    }
  }

  @Override
  public CompletableFuture<Void> appendAsync(List<AuditEvent> events) {
    requireNonNull(events, "events");
    if (events.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    if (closed) {
      return CompletableFuture.failedFuture(
          new KeyturnException.Unavailable("the audit log is closed", null));
    }
    Pending pending =
        new Pending(List.copyOf(events), new CompletableFuture<>(), System.nanoTime());
    queue.add(pending);
    return pending.done;
  }

  /**
   * Fails every append that has waited longer than the timeout, queued or in a write that hangs
   * (its records may still be written later: a refused request recorded, never an answer without
   * its record). One thread for all appends: a timer task per append cost more than the append.
   */
  private void watch() {
    long limit = TimeUnit.SECONDS.toNanos(APPEND_TIMEOUT_SECONDS);
    while (!(closed && !writer.isAlive())) {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long now = System.nanoTime();
      KeyturnException.Unavailable late =
          new KeyturnException.Unavailable(
              "the audit log did not answer in time", new TimeoutException());
      for (Pending p : inFlight) {
        if (now - p.queued > limit) {
          p.done.completeExceptionally(late);
        }
      }
      for (Pending p : queue) {
        if (now - p.queued > limit) {
          p.done.completeExceptionally(late);
        }
      }
    }
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    while (true) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (closed && queue.isEmpty()) {
            return;
          }
          continue;
        }
        batch.add(first);
        int events = first.events.size();
        while (events < MAX_BATCH) {
          Pending next = queue.poll();
          if (next == null) {
            break;
          }
          batch.add(next);
          events += next.events.size();
        }
        inFlight = batch;
        try {
          write(batch);
          batch.forEach(p -> p.done.complete(null));
        } catch (RuntimeException e) {
          KeyturnException.Unavailable failure =
              new KeyturnException.Unavailable("the audit log could not be written", e);
          batch.forEach(p -> p.done.completeExceptionally(failure));
        }
        inFlight = List.of();
        batch = new ArrayList<>();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void write(List<Pending> batch) {
    List<AuditEvent> events = new ArrayList<>();
    batch.forEach(p -> events.addAll(p.events));
    Chained done;
    try {
      Optional<Chained> fast = Optional.empty();
      if (autoCommit.isPresent()) {
        try {
          // On a connection the server dropped, whether the exchange was committed is unknown:
          // the same records go again, which cannot store them twice (OneTripAppend#resend).
          fast =
              autoCommit
                  .get()
                  .run(c -> oneTrip.append(c, chain, events), Optional.of(oneTrip::resend));
        } catch (SQLException e) {
          throw JdbcStore.unavailable(e);
        }
      }
      done =
          fast.isPresent()
              ? fast.get()
              : jdbc.write(c -> chainAndInsert(c, dialect, chain, events));
    } catch (RuntimeException e) {
      oneTrip.forget();
      throw e;
    }
    oneTrip.remember(done.last());
    committed.accept(done);
  }

  /**
   * Chains {@code events} after the newest record and inserts them, in the caller's transaction.
   * The head is read under the chain lock (PostgreSQL: a transaction-scoped advisory lock held to
   * the commit; SQLite: its one writer), so writers on every node extend one chain. Call it last in
   * a transaction: no transaction may wait for another lock while it holds this one.
   */
  static Chained chainAndInsert(
      Connection c, Dialect dialect, AuditChain chain, List<AuditEvent> events)
      throws SQLException {
    long seq = 0;
    byte[] previous = AuditChain.GENESIS;
    // On PostgreSQL the lock and the head go in one round trip: two statements, each with its own
    // snapshot, the head's taken once the lock is held.
    String head = "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1";
    try (PreparedStatement ps =
        c.prepareStatement(
            dialect == Dialect.POSTGRESQL ? "SELECT pg_advisory_xact_lock(?); " + head : head)) {
      if (dialect == Dialect.POSTGRESQL) {
        ps.setLong(1, CHAIN_LOCK);
        ps.execute();
        ps.getMoreResults();
      } else {
        ps.execute();
      }
      try (ResultSet rs = ps.getResultSet()) {
        if (rs.next()) {
          seq = rs.getLong(1);
          previous = rs.getBytes(2);
        }
      }
    }
    byte[] chainedAfter = previous;
    List<AuditRecord> records = new ArrayList<>();
    for (AuditEvent event : events) {
      AuditRecord record = chain.seal(++seq, event.truncatedToMillis(), previous);
      records.add(record);
      previous = record.mac();
    }
    insert(c, records);
    return new Chained(chainedAfter, records);
  }

  /** Inserts with multi-row statements: far fewer round trips than one statement per row. */
  private static void insert(Connection c, List<AuditRecord> records) throws SQLException {
    int i = 0;
    if (records.size() >= ROWS_PER_INSERT) {
      try (PreparedStatement ps = c.prepareStatement(insertSql(ROWS_PER_INSERT))) {
        for (; i + ROWS_PER_INSERT <= records.size(); i += ROWS_PER_INSERT) {
          for (int row = 0; row < ROWS_PER_INSERT; row++) {
            bind(ps, row * FIELDS, records.get(i + row));
          }
          ps.executeUpdate();
        }
      }
    }
    int rest = records.size() - i;
    if (rest > 0) {
      try (PreparedStatement ps = c.prepareStatement(insertSql(rest))) {
        for (int row = 0; row < rest; row++) {
          bind(ps, row * FIELDS, records.get(i + row));
        }
        ps.executeUpdate();
      }
    }
  }

  private static String insertSql(int rows) {
    StringBuilder sql = new StringBuilder("INSERT INTO audit (" + COLUMNS + ") VALUES ");
    for (int i = 0; i < rows; i++) {
      sql.append(i == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    }
    return sql.toString();
  }

  private static void bind(PreparedStatement ps, int offset, AuditRecord r) throws SQLException {
    AuditEvent e = r.event();
    ps.setLong(offset + 1, r.seq());
    ps.setLong(offset + 2, e.time().toEpochMilli());
    ps.setString(offset + 3, e.tokenId());
    ps.setString(offset + 4, e.client());
    ps.setString(offset + 5, e.action());
    if (e.secret().isPresent()) {
      ps.setString(offset + 6, e.secret().get());
    } else {
      ps.setNull(offset + 6, Types.VARCHAR);
    }
    if (e.version().isPresent()) {
      ps.setInt(offset + 7, e.version().get());
    } else {
      ps.setNull(offset + 7, Types.INTEGER);
    }
    ps.setString(offset + 8, e.result());
    ps.setString(offset + 9, e.detail());
    ps.setString(offset + 10, r.keyId());
    ps.setBytes(offset + 11, r.mac());
    if (e.generations().isEmpty()) {
      ps.setNull(offset + 12, Types.VARCHAR);
    } else {
      ps.setString(offset + 12, Generations.encode(e.generations()));
    }
  }

  @Override
  public List<AuditRecord> query(AuditQuery query) {
    requireNonNull(query, "query");
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM audit WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    query
        .since()
        .ifPresent(t -> {
          sql.append(" AND time >= ?");
          args.add(t.toEpochMilli());
        });
    query
        .secret()
        .ifPresent(s -> {
          sql.append(" AND secret = ?");
          args.add(s);
        });
    query
        .action()
        .ifPresent(a -> {
          sql.append(" AND action = ?");
          args.add(a);
        });
    query
        .afterSeq()
        .ifPresent(s -> {
          sql.append(" AND seq > ?");
          args.add(s);
        });
    query
        .outcome()
        .ifPresent(o -> {
          List<String> denied = List.copyOf(AuditQuery.Outcome.DENIED_RESULTS);
          String in =
              " IN (" + String.join(", ", java.util.Collections.nCopies(denied.size(), "?")) + ")";
          switch (o) {
            case OK -> sql.append(" AND result = 'ok'");
            case DENIED -> sql.append(" AND result").append(in);
            case FAILED -> sql.append(" AND result <> 'ok' AND result NOT").append(in);
          }
          if (o != AuditQuery.Outcome.OK) {
            args.addAll(denied);
          }
        });
    query
        .tokenId()
        .ifPresent(t -> {
          sql.append(" AND token_id = ?");
          args.add(t);
        });
    GlobSql.append(dialect, "secret", query.within(), sql, args);
    sql.append(" ORDER BY seq DESC LIMIT ?");
    args.add(query.limit());
    List<AuditRecord> out =
        jdbc.read(c -> {
          try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
              ps.setObject(i + 1, args.get(i));
            }
            return readAll(ps);
          }
        });
    Collections.reverse(out);
    return out;
  }

  @Override
  public void scan(Consumer<AuditRecord> sink) {
    long after = 0;
    while (true) {
      long from = after;
      List<AuditRecord> page =
          jdbc.read(c -> {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "SELECT " + COLUMNS + " FROM audit WHERE seq > ? ORDER BY seq LIMIT 10000")) {
              ps.setLong(1, from);
              return readAll(ps);
            }
          });
      if (page.isEmpty()) {
        return;
      }
      page.forEach(sink);
      after = page.get(page.size() - 1).seq();
    }
  }

  @Override
  public Optional<AuditRecord> head() {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM audit ORDER BY seq DESC LIMIT 1")) {
        return readAll(ps).stream().findFirst();
      }
    });
  }

  @Override
  public void close() {
    closed = true;
    try {
      writer.join(TimeUnit.SECONDS.toMillis(APPEND_TIMEOUT_SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static List<AuditRecord> readAll(PreparedStatement ps) throws SQLException {
    List<AuditRecord> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String secret = rs.getString(6);
        int version = rs.getInt(7);
        Optional<Integer> v = rs.wasNull() ? Optional.empty() : Optional.of(version);
        AuditEvent event =
            new AuditEvent(
                Instant.ofEpochMilli(rs.getLong(2)),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                Optional.ofNullable(secret),
                v,
                rs.getString(8),
                rs.getString(9),
                generations(rs.getString(12)));
        out.add(new AuditRecord(rs.getLong(1), event, rs.getString(10), rs.getBytes(11)));
      }
    }
    return out;
  }

  /** A record's generations; text that does not parse is kept out, so its MAC fails to verify. */
  private static Map<String, Long> generations(String text) {
    try {
      return Generations.decode(text);
    } catch (IllegalArgumentException e) {
      return Map.of("(unreadable generations)", -1L);
    }
  }

  /**
   * Records chained after the record whose MAC is {@code previous} (the genesis value for the
   * first), in order; not empty.
   */
  record Chained(byte[] previous, List<AuditRecord> records) {
    Chained {
      requireNonNull(previous, "previous");
      records = List.copyOf(records);
      if (records.isEmpty()) {
        throw new IllegalArgumentException("no records chained");
      }
    }

    AuditRecord last() {
      return records.get(records.size() - 1);
    }
  }

  private record Pending(List<AuditEvent> events, CompletableFuture<Void> done, long queued) {}
}
