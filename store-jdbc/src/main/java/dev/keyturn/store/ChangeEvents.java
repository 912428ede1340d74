package dev.keyturn.store;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Version;
import dev.keyturn.core.VersionSet;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The stored change events behind {@code GET /v1/watch}: one row per version created or moved to
 * another stage, written by {@link #write} in the transaction of the change, just before it
 * commits, so an event exists exactly when its change committed. Event ids grow in commit order on
 * every node: SQLite has one writer; on PostgreSQL each writing transaction takes a
 * transaction-scoped advisory lock after its last row lock, draws its ids and holds the lock to its
 * commit, and sends {@code NOTIFY keyturn_change}, which PostgreSQL delivers only if the
 * transaction commits; every write of a secret also sends its name there ({@link #secretWritten}),
 * for the other nodes' read caches. Rows hold names, numbers and stages, never a value; the table
 * is untrusted like the rest of the database (a forged row can only make watchers re-read what they
 * may read). Thread-safe.
 */
public final class ChangeEvents {
  /** The PostgreSQL channel every committed change notifies. */
  static final String CHANNEL = "keyturn_change";

  private static final long ORDER_LOCK = 0x6b747761746368L; // "ktwatch"
  private static final String COLUMNS = "id, name, version, stage, at";

  private final Jdbc jdbc;
  private final Dialect dialect;
  private final String jdbcUrl;

  ChangeEvents(Jdbc jdbc, Dialect dialect, String jdbcUrl) {
    this.jdbc = requireNonNull(jdbc, "jdbc");
    this.dialect = requireNonNull(dialect, "dialect");
    this.jdbcUrl = requireNonNull(jdbcUrl, "jdbcUrl");
  }

  /** One event to write: version {@code version} of {@code name} is now in {@code stage}. */
  record Pending(String name, int version, String stage, long at) {}

  /** One event per version of {@code after} that is new or changed stage since {@code before}. */
  static List<Pending> changes(VersionSet before, VersionSet after, long at) {
    List<Pending> changed = new ArrayList<>();
    for (Version v : after.versions()) {
      Optional<Version> old = before.version(v.number());
      if (old.isEmpty() || old.get().stage() != v.stage()) {
        changed.add(new Pending(after.name().value(), v.number(), v.stage().wireName(), at));
      }
    }
    return changed;
  }

  /**
   * Writes {@code events} in the caller's transaction. Call it last before the commit (before only
   * the audit chain's lock): on PostgreSQL it takes the ordering lock, which is then held to the
   * commit, so a transaction holding it never waits for a row lock, and two transactions cannot
   * deadlock over it.
   */
  static void write(Connection c, Dialect dialect, List<Pending> events) throws SQLException {
    if (events.isEmpty()) {
      return;
    }
    if (dialect == Dialect.POSTGRESQL) {
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        lock.setLong(1, ORDER_LOCK);
        lock.execute();
      }
      try (Statement notify = c.createStatement()) {
        notify.execute("NOTIFY " + CHANNEL);
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO change_events (name, version, stage, at) VALUES (?, ?, ?, ?)")) {
      for (Pending e : events) {
        ps.setString(1, e.name());
        ps.setInt(2, e.version());
        ps.setString(3, e.stage());
        ps.setLong(4, e.at());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /**
   * Events after {@code id}, oldest first, at most {@code limit}, for names equal to {@code folder}
   * or below {@code folder + "/"} (every name when {@code folder} is empty).
   */
  public List<ChangeEvent> after(long id, String folder, int limit) {
    requireNonNull(folder, "folder");
    return jdbc.read(c -> {
      String sql = "SELECT " + COLUMNS + " FROM change_events WHERE id > ?";
      if (!folder.isEmpty()) {
        // Names use only ASCII characters below '~', so folder + "/~" bounds the range.
        sql += " AND (name = ? OR (name > ? AND name < ?))";
      }
      try (PreparedStatement ps = c.prepareStatement(sql + " ORDER BY id LIMIT ?")) {
        int i = 1;
        ps.setLong(i++, id);
        if (!folder.isEmpty()) {
          ps.setString(i++, folder);
          ps.setString(i++, folder + "/");
          ps.setString(i++, folder + "/~");
        }
        ps.setInt(i, limit);
        List<ChangeEvent> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(
                new ChangeEvent(
                    rs.getLong(1),
                    rs.getString(2),
                    rs.getInt(3),
                    rs.getString(4),
                    Instant.ofEpochMilli(rs.getLong(5))));
          }
        }
        return out;
      }
    });
  }

  /** The oldest and newest ids kept, or empty when no event is kept. */
  public Optional<long[]> bounds() {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
              c.prepareStatement("SELECT MIN(id), MAX(id), COUNT(*) FROM change_events");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(3) == 0
            ? Optional.empty()
            : Optional.of(new long[] {rs.getLong(1), rs.getLong(2)});
      }
    });
  }

  /** Deletes events older than {@code cutoff}, always keeping the newest one (ids stay known). */
  public int prune(Instant cutoff) {
    return jdbc.write(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "DELETE FROM change_events WHERE at < ?"
                  + " AND id < (SELECT MAX(id) FROM change_events)")) {
        ps.setLong(1, cutoff.toEpochMilli());
        return ps.executeUpdate();
      }
    });
  }

  /** Whether other nodes can write events that this node learns of only by {@link #listen}. */
  public boolean shared() {
    return dialect == Dialect.POSTGRESQL;
  }

  /**
   * On PostgreSQL, the feed of every node's committed changes on a listening connection of its own
   * (not started), named for {@code node}; it reconnects {@code backOff} after a failure and pings
   * itself every {@code pingEvery} ({@link ChangeFeed}).
   *
   * @throws IllegalStateException on SQLite, where this node is the only writer
   */
  public ChangeFeed feed(String node, Duration backOff, Duration pingEvery) {
    if (dialect != Dialect.POSTGRESQL) {
      throw new IllegalStateException("only a shared store has a change feed");
    }
    return new ChangeFeed(jdbcUrl, node, backOff, pingEvery);
  }

  /**
   * On PostgreSQL, announces in the caller's transaction that secret {@code name} was written, so
   * that other nodes drop it from their read caches once the transaction commits (PostgreSQL sends
   * nothing for a transaction that rolls back). Every write of a secret row calls it, whether or
   * not a version changed stage.
   */
  static void secretWritten(Connection c, Dialect dialect, String name) throws SQLException {
    if (dialect != Dialect.POSTGRESQL) {
      return;
    }
    try (PreparedStatement notify = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      notify.setString(1, CHANNEL);
      notify.setString(2, name);
      notify.execute();
    }
  }
}
