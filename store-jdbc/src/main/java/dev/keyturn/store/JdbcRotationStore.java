package dev.keyturn.store;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.NodeRecord;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.RuleCodec;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SweepProgress;
import dev.keyturn.core.integrity.Generations;
import dev.keyturn.core.spi.RotationStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Rules and rotations in the {@code rules} and {@code rotations} tables of a {@link JdbcStore}. A
 * partial unique index allows one active rotation per secret, so two nodes starting one at the same
 * moment get one rotation and one {@link KeyturnException.RotationInProgress}. Thread-safe.
 */
final class JdbcRotationStore implements RotationStore {
  private static final String COLUMNS =
      "id, secret, state, attempt, started_at, updated_at, next_attempt_at, pending_version,"
          + " emergency, requested_by, reason, process, checklist, note, commands";

  /** What a read selects: {@link #COLUMNS} and the sweep's progress (written on its own). */
  private static final String READ = COLUMNS + ", progress";

  private static final String RULE_COLUMNS = "secret, body, next_due, start_at, generation, mac";

  private static final int SQLITE_CONSTRAINT = 19;
  private static final String UNIQUE_VIOLATION = "23505";

  private final Jdbc jdbc;
  private final Dialect dialect;
  private final Integrity integrity;

  JdbcRotationStore(Jdbc jdbc, Dialect dialect, Integrity integrity) {
    this.jdbc = jdbc;
    this.dialect = dialect;
    this.integrity = integrity;
    RuleJson.warmUp();
  }

  @Override
  public void putRule(RuleEntry entry) {
    jdbc.write(c -> {
      String secret = entry.rule().secret().value();
      String body = RuleJson.write(entry.rule());
      long generation = 0;
      byte[] mac = null;
      if (integrity.active()) {
        String object = Generations.rule(secret);
        generation = integrity.next(object, storedGeneration(c, secret));
        mac = integrity.macs().rule(secret, body, entry.nextDue(), entry.startAt(), generation);
        jdbc.wrote(object, generation);
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO rules (secret, body, next_due, start_at, generation, mac)"
                  + " VALUES (?, ?, ?, ?, ?, ?)"
                  + " ON CONFLICT (secret) DO UPDATE SET body = excluded.body,"
                  + " next_due = excluded.next_due, start_at = excluded.start_at,"
                  + " generation = excluded.generation, mac = excluded.mac")) {
        ps.setString(1, secret);
        ps.setString(2, body);
        setMillis(ps, 3, entry.nextDue());
        setMillis(ps, 4, entry.startAt());
        ps.setLong(5, generation);
        ps.setBytes(6, mac);
        ps.executeUpdate();
      }
      return null;
    });
  }

  /** The generation in the secret's rule row; 0 when it has none. */
  private static long storedGeneration(java.sql.Connection c, String secret) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT generation FROM rules WHERE secret = ?")) {
      ps.setString(1, secret);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  @Override
  public Optional<RuleEntry> rule(SecretName secret) {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + RULE_COLUMNS + " FROM rules WHERE secret = ?")) {
        ps.setString(1, secret.value());
        return rules(ps).stream().findFirst();
      }
    });
  }

  /** One query over the range of names from the least of {@code secrets} to the greatest. */
  @Override
  public java.util.Map<SecretName, RuleEntry> rules(java.util.Collection<SecretName> secrets) {
    java.util.Map<SecretName, RuleEntry> out = new java.util.HashMap<>();
    if (secrets.isEmpty()) {
      return out;
    }
    java.util.Set<String> wanted = new java.util.HashSet<>();
    String least = null;
    String greatest = null;
    for (SecretName secret : secrets) {
      String name = secret.value();
      wanted.add(name);
      least = least == null || name.compareTo(least) < 0 ? name : least;
      greatest = greatest == null || name.compareTo(greatest) > 0 ? name : greatest;
    }
    String from = least;
    String through = greatest;
    // Every row in the range is read and checked, as rule() checks the one it reads; rows of
    // secrets not asked for (between two that are) are dropped after the check.
    List<RuleEntry> found =
        jdbc.read(c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + RULE_COLUMNS
                      + " FROM rules WHERE secret >= ? AND secret <= ? ORDER BY secret")) {
            ps.setString(1, from);
            ps.setString(2, through);
            return rules(ps);
          }
        });
    for (RuleEntry entry : found) {
      if (wanted.contains(entry.rule().secret().value())) {
        out.put(entry.rule().secret(), entry);
      }
    }
    return out;
  }

  @Override
  public boolean deleteRule(SecretName secret) {
    return jdbc.write(c -> {
      long stored = storedGeneration(c, secret.value());
      boolean deleted;
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM rules WHERE secret = ?")) {
        ps.setString(1, secret.value());
        deleted = ps.executeUpdate() > 0;
      }
      if (deleted && integrity.active()) {
        // The deletion is a write too: the rule row as it was can then not be put back.
        String object = Generations.rule(secret.value());
        jdbc.wrote(object, integrity.next(object, stored));
      }
      return deleted;
    });
  }

  @Override
  public List<RuleEntry> rules(String prefix, int limit) {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + RULE_COLUMNS
                  + " FROM rules WHERE secret >= ? AND secret < ? ORDER BY secret LIMIT ?")) {
        ps.setString(1, prefix);
        ps.setString(2, prefix + "~");
        ps.setInt(3, limit);
        return rules(ps);
      }
    });
  }

  @Override
  public List<SecretName> ruleNames(String prefix, int limit) {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT secret FROM rules WHERE secret >= ? AND secret < ? ORDER BY secret LIMIT ?")) {
        ps.setString(1, prefix);
        ps.setString(2, prefix + "~");
        ps.setInt(3, limit);
        List<SecretName> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            SecretName.parse(rs.getString(1)).ifPresent(out::add);
          }
        }
        return out;
      }
    });
  }

  @Override
  public List<RuleEntry> dueRules(Instant now, int limit) {
    return rulesUntil("start_at", now, Optional.empty(), limit);
  }

  @Override
  public List<RuleEntry> dueRulesAfter(Instant now, RuleEntry after, int limit) {
    return rulesUntil("start_at", now, Optional.of(after), limit);
  }

  @Override
  public List<RuleEntry> overdueRules(Instant before, int limit) {
    return rulesUntil("next_due", before, Optional.empty(), limit);
  }

  @Override
  public List<RuleEntry> overdueRulesAfter(Instant before, RuleEntry after, int limit) {
    return rulesUntil("next_due", before, Optional.of(after), limit);
  }

  /**
   * Rules whose {@code column} (start_at or next_due, both indexed) is at or before {@code until},
   * by that column and then by name, after the {@code column} and name of {@code after} when given.
   */
  private List<RuleEntry> rulesUntil(
      String column, Instant until, Optional<RuleEntry> after, int limit) {
    boolean byStart = column.equals("start_at");
    long afterAt =
        after
            .map(entry ->
                (byStart ? entry.startAt() : entry.nextDue())
                    .orElseThrow(() ->
                        new IllegalArgumentException(
                            entry.rule().secret()
                                + (byStart ? " has no start" : " has no due date")
                                + " to page after"))
                    .toEpochMilli())
            .orElse(0L);
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + RULE_COLUMNS
                  + " FROM rules WHERE "
                  + column
                  + " IS NOT NULL AND "
                  + column
                  + " <= ?"
                  // A row value: a seek in the (column, secret) index, where an OR would scan.
                  + (after.isPresent() ? " AND (" + column + ", secret) > (?, ?)" : "")
                  + " ORDER BY "
                  + column
                  + ", secret LIMIT ?")) {
        int i = 1;
        ps.setLong(i++, until.toEpochMilli());
        if (after.isPresent()) {
          ps.setLong(i++, afterAt);
          ps.setString(i++, after.get().rule().secret().value());
        }
        ps.setInt(i, limit);
        return rules(ps);
      }
    });
  }

  @Override
  public void setNextDue(SecretName secret, Optional<Instant> nextDue) {
    setDue(secret, Optional.of(nextDue), nextDue);
  }

  @Override
  public void setStartAt(SecretName secret, Optional<Instant> startAt) {
    setDue(secret, Optional.empty(), startAt);
  }

  /**
   * Sets the rule's start (and, when given, its due date). Once the store is protected the row's
   * MAC covers both, so the row is read and checked first (a rewrite must not bless an edit), then
   * written back with the next generation.
   */
  private void setDue(
      SecretName secret, Optional<Optional<Instant>> nextDue, Optional<Instant> startAt) {
    jdbc.write(c -> {
      if (!integrity.active()) {
        String sql =
            nextDue.isPresent()
                ? "UPDATE rules SET next_due = ?, start_at = ? WHERE secret = ?"
                : "UPDATE rules SET start_at = ? WHERE secret = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          int i = 1;
          if (nextDue.isPresent()) {
            setMillis(ps, i++, nextDue.get());
          }
          setMillis(ps, i++, startAt);
          ps.setString(i, secret.value());
          ps.executeUpdate();
        }
        return null;
      }
      Optional<StoredRule> stored = storedRule(c, secret);
      if (stored.isEmpty()) {
        return null;
      }
      StoredRule row = stored.get();
      Optional<Instant> due = nextDue.orElse(row.nextDue());
      String object = Generations.rule(secret.value());
      long generation = integrity.next(object, row.generation());
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE rules SET next_due = ?, start_at = ?, generation = ?, mac = ?"
                  + " WHERE secret = ?")) {
        setMillis(ps, 1, due);
        setMillis(ps, 2, startAt);
        ps.setLong(3, generation);
        ps.setBytes(4, integrity.macs().rule(secret.value(), row.body(), due, startAt, generation));
        ps.setString(5, secret.value());
        ps.executeUpdate();
      }
      jdbc.wrote(object, generation);
      return null;
    });
  }

  /** A rule row as stored, checked against its MAC and the ledger. */
  private record StoredRule(String body, Optional<Instant> nextDue, long generation) {}

  private Optional<StoredRule> storedRule(java.sql.Connection c, SecretName secret)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + RULE_COLUMNS + " FROM rules WHERE secret = ?")) {
      ps.setString(1, secret.value());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        check(rs);
        return Optional.of(new StoredRule(rs.getString(2), millis(rs, 3), rs.getLong(5)));
      }
    }
  }

  @Override
  public void start(Rotation rotation) {
    jdbc.write(c -> {
      try (PreparedStatement find =
          c.prepareStatement("SELECT id FROM rotations WHERE secret = ? AND active = 1")) {
        find.setString(1, rotation.secret().value());
        try (ResultSet rs = find.executeQuery()) {
          if (rs.next()) {
            throw new KeyturnException.RotationInProgress(
                rotation.secret().value(), rs.getString(1));
          }
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO rotations ("
                  + COLUMNS
                  + ", active)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        bind(ps, rotation);
        ps.executeUpdate();
      } catch (SQLException e) {
        // Another node inserted one between the check and the insert: the one-active index
        // refused ours. Any other failure is the store's, and says so.
        if (e.getErrorCode() == SQLITE_CONSTRAINT || UNIQUE_VIOLATION.equals(e.getSQLState())) {
          throw new KeyturnException.RotationInProgress(
              rotation.secret().value(), "another rotation");
        }
        throw e;
      }
      return null;
    });
  }

  @Override
  public boolean claim(String id, String node, Instant now, Instant until) {
    return jdbc.write(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE rotations SET lease_owner = ?, lease_until = ? WHERE id = ? AND"
                  + " (lease_until IS NULL OR lease_until < ? OR lease_owner = ?)")) {
        ps.setString(1, node);
        ps.setLong(2, until.toEpochMilli());
        ps.setString(3, id);
        ps.setLong(4, now.toEpochMilli());
        ps.setString(5, node);
        return ps.executeUpdate() == 1;
      }
    });
  }

  @Override
  public void release(String id, String node) {
    jdbc.write(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE rotations SET lease_owner = NULL, lease_until = NULL"
                  + " WHERE id = ? AND lease_owner = ?")) {
        ps.setString(1, id);
        ps.setString(2, node);
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void saveProgress(String id, SweepProgress progress) {
    jdbc.write(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("UPDATE rotations SET progress = ? WHERE id = ?")) {
        ps.setString(1, progress.encode());
        ps.setString(2, id);
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void save(Rotation r) {
    jdbc.write(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE rotations SET state = ?, attempt = ?, updated_at = ?, next_attempt_at = ?,"
                  + " pending_version = ?, reason = ?, process = ?, checklist = ?, active = ?,"
                  // An ended rotation needs no claim: its last save gives it up.
                  + " lease_owner = CASE WHEN ? = 1 THEN lease_owner END,"
                  + " lease_until = CASE WHEN ? = 1 THEN lease_until END"
                  + " WHERE id = ?")) {
        ps.setString(1, r.state().wireName());
        ps.setInt(2, r.attempt());
        ps.setLong(3, r.updatedAt().toEpochMilli());
        ps.setLong(4, r.nextAttemptAt().toEpochMilli());
        if (r.pendingVersion().isPresent()) {
          ps.setInt(5, r.pendingVersion().get());
        } else {
          ps.setNull(5, Types.INTEGER);
        }
        ps.setString(6, r.reason().orElse(null));
        if (r.process().isPresent()) {
          ps.setLong(7, r.process().get());
        } else {
          ps.setNull(7, Types.BIGINT);
        }
        ps.setString(8, RuleCodec.encodeChecklist(r.checklist()));
        int active = r.state().isFinal() ? 0 : 1;
        ps.setInt(9, active);
        ps.setInt(10, active);
        ps.setInt(11, active);
        ps.setString(12, r.id());
        if (ps.executeUpdate() != 1) {
          throw new KeyturnException.NotFound("rotation " + r.id() + " does not exist");
        }
      }
      return null;
    });
  }

  @Override
  public Optional<Rotation> rotation(String id) {
    return query("SELECT " + READ + " FROM rotations WHERE id = ?", id, null).stream().findFirst();
  }

  @Override
  public Optional<Rotation> active(SecretName secret) {
    return query(
            "SELECT " + READ + " FROM rotations WHERE secret = ? AND active = 1",
            secret.value(),
            null)
        .stream()
        .findFirst();
  }

  @Override
  public List<Rotation> runnable(Instant now, int limit) {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + READ
                  + " FROM rotations WHERE active = 1 AND next_attempt_at <= ?"
                  + " ORDER BY next_attempt_at LIMIT ?")) {
        ps.setLong(1, now.toEpochMilli());
        ps.setInt(2, limit);
        return rotations(ps);
      }
    });
  }

  @Override
  public List<Rotation> history(SecretName secret, int limit) {
    return query(
        "SELECT " + READ + " FROM rotations WHERE secret = ? ORDER BY started_at DESC, id LIMIT ?",
        secret.value(),
        limit);
  }

  @Override
  public List<Rotation> recent(
      String prefix, Set<RotationState> states, List<String> within, int limit) {
    StringBuilder sql = new StringBuilder("SELECT " + READ + " FROM rotations WHERE 1 = 1");
    List<Object> args = new ArrayList<>();
    if (!prefix.isEmpty()) {
      sql.append(" AND substr(secret, 1, ?) = ?");
      args.add(prefix.length());
      args.add(prefix);
    }
    if (!states.isEmpty()) {
      sql.append(" AND state IN (")
          .append(String.join(", ", java.util.Collections.nCopies(states.size(), "?")))
          .append(")");
      states.stream().map(RotationState::wireName).sorted().forEach(args::add);
    }
    GlobSql.append(dialect, "secret", within, sql, args);
    sql.append(" ORDER BY started_at DESC, id LIMIT ?");
    args.add(limit);
    return jdbc.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) {
          ps.setObject(i + 1, args.get(i));
        }
        return rotations(ps);
      }
    });
  }

  private List<Rotation> query(String sql, String key, Integer limit) {
    return jdbc.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, key);
        if (limit != null) {
          ps.setInt(2, limit);
        }
        return rotations(ps);
      }
    });
  }

  private static void bind(PreparedStatement ps, Rotation r) throws SQLException {
    ps.setString(1, r.id());
    ps.setString(2, r.secret().value());
    ps.setString(3, r.state().wireName());
    ps.setInt(4, r.attempt());
    ps.setLong(5, r.startedAt().toEpochMilli());
    ps.setLong(6, r.updatedAt().toEpochMilli());
    ps.setLong(7, r.nextAttemptAt().toEpochMilli());
    if (r.pendingVersion().isPresent()) {
      ps.setInt(8, r.pendingVersion().get());
    } else {
      ps.setNull(8, Types.INTEGER);
    }
    ps.setInt(9, r.emergency() ? 1 : 0);
    ps.setString(10, r.requestedBy());
    ps.setString(11, r.reason().orElse(null));
    if (r.process().isPresent()) {
      ps.setLong(12, r.process().get());
    } else {
      ps.setNull(12, Types.BIGINT);
    }
    ps.setString(13, RuleCodec.encodeChecklist(r.checklist()));
    ps.setString(14, r.note().orElse(null));
    ps.setString(15, r.commands());
    ps.setInt(16, r.state().isFinal() ? 0 : 1);
  }

  /** Reads rule rows, each checked against its MAC and the ledger once the store is protected. */
  private List<RuleEntry> rules(PreparedStatement ps) throws SQLException {
    List<RuleEntry> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String name = rs.getString(1);
        String body = rs.getString(2);
        if (integrity.active()) {
          check(rs);
        }
        SecretName secret = SecretName.of(name);
        out.add(new RuleEntry(RuleJson.read(secret, body), millis(rs, 3), millis(rs, 4)));
      }
    }
    return out;
  }

  /**
   * Checks the rule rows after {@code after} (by secret name, at most {@code limit}) one by one,
   * for {@link IntegritySweep}: a failing row is reported to {@code failed} and the rest still
   * checked.
   */
  IntegritySweep.Page sweepPage(String after, int limit, Consumer<String> failed) {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + RULE_COLUMNS
                  + " FROM rules WHERE secret "
                  + IntegritySweep.after(after)
                  + " ORDER BY secret LIMIT ?")) {
        ps.setString(1, after == null ? "" : after);
        ps.setInt(2, limit);
        int rows = 0;
        String last = null;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            rows++;
            last = rs.getString(1);
            try {
              check(rs);
            } catch (KeyturnException.IntegrityFailure e) {
              failed.accept(e.object());
            }
          }
        }
        return new IntegritySweep.Page(rows, last);
      }
    });
  }

  /**
   * Checks the rule row at {@code rs} ({@link #RULE_COLUMNS}) against its MAC, which covers its due
   * dates, and the ledger's generation.
   */
  private void check(ResultSet rs) throws SQLException {
    String name = rs.getString(1);
    String label = "rule of " + name;
    long generation = rs.getLong(5);
    integrity.checkMac(
        label,
        integrity.macs().rule(name, rs.getString(2), millis(rs, 3), millis(rs, 4), generation),
        rs.getBytes(6),
        Optional.of(name));
    integrity.checkGeneration(label, Generations.rule(name), generation, Optional.of(name));
  }

  private static Optional<Instant> millis(ResultSet rs, int column) throws SQLException {
    long value = rs.getLong(column);
    return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(value));
  }

  private static List<Rotation> rotations(PreparedStatement ps) throws SQLException {
    List<Rotation> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        int pending = rs.getInt(8);
        Optional<Integer> pendingVersion = rs.wasNull() ? Optional.empty() : Optional.of(pending);
        long process = rs.getLong(12);
        Optional<Long> pid = rs.wasNull() ? Optional.empty() : Optional.of(process);
        out.add(
            new Rotation(
                rs.getString(1),
                SecretName.of(rs.getString(2)),
                RotationState.fromWire(rs.getString(3)),
                rs.getInt(4),
                Instant.ofEpochMilli(rs.getLong(5)),
                Instant.ofEpochMilli(rs.getLong(6)),
                Instant.ofEpochMilli(rs.getLong(7)),
                pendingVersion,
                rs.getInt(9) != 0,
                rs.getString(10),
                Optional.ofNullable(rs.getString(11)),
                pid,
                RuleCodec.decodeChecklist(rs.getString(13)),
                Optional.ofNullable(rs.getString(14)),
                rs.getString(15),
                Optional.ofNullable(rs.getString(16)).map(SweepProgress::decode)));
      }
    }
    return out;
  }

  private static void setMillis(PreparedStatement ps, int index, Optional<Instant> value)
      throws SQLException {
    if (value.isPresent()) {
      ps.setLong(index, value.get().toEpochMilli());
    } else {
      ps.setNull(index, Types.BIGINT);
    }
  }

  @Override
  public void heartbeat(NodeRecord node) {
    StringBuilder commands = new StringBuilder();
    node.commands()
        .forEach((name, digest) -> commands.append(name).append('=').append(digest).append('\n'));
    jdbc.write(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO nodes (id, host, pid, started_at, last_seen, digest, commands)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET host ="
                  + " excluded.host, pid = excluded.pid, started_at = excluded.started_at,"
                  + " last_seen = excluded.last_seen, digest = excluded.digest, commands ="
                  + " excluded.commands")) {
        ps.setString(1, node.id());
        ps.setString(2, node.host());
        ps.setLong(3, node.pid());
        ps.setLong(4, node.started().toEpochMilli());
        ps.setLong(5, node.lastSeen().toEpochMilli());
        ps.setString(6, node.digest());
        ps.setString(7, commands.toString());
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void leave(String id) {
    jdbc.write(c -> {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM nodes WHERE id = ?")) {
        ps.setString(1, id);
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public boolean noteReason(String id, String reason) {
    // One statement: a second node's update waits for the first's row lock, then finds the reason
    // already set and changes nothing.
    return jdbc.write(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE rotations SET reason = ? WHERE id = ? AND active = 1"
                  + " AND (reason IS NULL OR reason <> ?)")) {
        ps.setString(1, reason);
        ps.setString(2, id);
        ps.setString(3, reason);
        return ps.executeUpdate() == 1;
      }
    });
  }

  @Override
  public List<NodeRecord> nodes(Instant since) {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, host, pid, started_at, last_seen, digest, commands FROM nodes"
                  + " WHERE last_seen >= ? ORDER BY id")) {
        ps.setLong(1, since.toEpochMilli());
        List<NodeRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            java.util.Map<String, String> commands = new java.util.TreeMap<>();
            for (String line : rs.getString(7).split("\n")) {
              int eq = line.indexOf('=');
              if (eq > 0) {
                commands.put(line.substring(0, eq), line.substring(eq + 1));
              }
            }
            out.add(
                new NodeRecord(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getLong(3),
                    Instant.ofEpochMilli(rs.getLong(4)),
                    Instant.ofEpochMilli(rs.getLong(5)),
                    rs.getString(6),
                    commands));
          }
        }
        return out;
      }
    });
  }
}
