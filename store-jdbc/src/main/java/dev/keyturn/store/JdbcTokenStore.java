package dev.keyturn.store;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.integrity.Generations;
import dev.keyturn.core.integrity.RowMacs;
import dev.keyturn.core.spi.TokenLineage;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.core.spi.TokenStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/** Tokens in the {@code tokens} table of a {@link JdbcStore}. Thread-safe. */
final class JdbcTokenStore implements TokenStore {
  private static final String COLUMNS =
      "id, hash, name, grants, created_at, expires_at, revoked_at, creator, creator_source,"
          + " generation, mac, lifetime_ms";
  private final Jdbc jdbc;
  private final Dialect dialect;
  private final Integrity integrity;

  JdbcTokenStore(Jdbc jdbc, Dialect dialect, Integrity integrity) {
    this.jdbc = jdbc;
    this.dialect = dialect;
    this.integrity = integrity;
  }

  @Override
  public void create(TokenRecord token) {
    jdbc.write(c -> {
      if (token.creator().isPresent()) {
        // PostgreSQL: the row lock waits for a revocation under way (it locks the table), then
        // reads the creator as that revocation left it. SQLite serializes every write.
        String creator = token.creator().get();
        Optional<TokenRecord> found;
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT " + COLUMNS + " FROM tokens WHERE id = ?" + dialect.forUpdate)) {
          ps.setString(1, creator);
          found = readAll(ps).stream().findFirst().map(Row::token);
        }
        if (found.isEmpty() || !found.get().validAt(token.createdAt())) {
          throw new KeyturnException.Unauthenticated("token " + creator + " is no longer valid");
        }
      }
      long generation = 0;
      byte[] mac = null;
      if (integrity.active()) {
        String object = Generations.token(token.id());
        generation = integrity.next(object, 0);
        mac = mac(integrity.macs(), token, generation);
        jdbc.wrote(object, generation);
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO tokens (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, token.id());
        ps.setBytes(2, token.hash());
        ps.setString(3, token.name());
        ps.setString(4, String.join("\n", token.grants()));
        ps.setLong(5, token.createdAt().toEpochMilli());
        setMillis(ps, 6, token.expiresAt());
        setMillis(ps, 7, token.revokedAt());
        ps.setString(8, token.creator().orElse(null));
        ps.setString(9, token.creatorSource().wireName());
        ps.setLong(10, generation);
        ps.setBytes(11, mac);
        setLifetime(ps, 12, token.lifetime());
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Optional<TokenRecord> findByHash(byte[] hash) {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM tokens WHERE hash = ?")) {
        ps.setBytes(1, hash);
        return readAll(ps).stream().findFirst().map(Row::token);
      }
    });
  }

  /** Reads token rows, each checked against its MAC and the ledger once the store is protected. */
  private List<Row> readAll(PreparedStatement ps) throws SQLException {
    List<Row> out = parse(ps);
    for (Row row : out) {
      verify(row);
    }
    return out;
  }

  /**
   * Checks the token rows after {@code after} (by id, at most {@code limit}) one by one, for {@link
   * IntegritySweep}: a failing row is reported to {@code failed} and the rest still checked.
   */
  IntegritySweep.Page sweepPage(String after, int limit, Consumer<String> failed) {
    List<Row> rows =
        jdbc.read(c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT "
                      + COLUMNS
                      + " FROM tokens WHERE id "
                      + IntegritySweep.after(after)
                      + " ORDER BY id LIMIT ?")) {
            ps.setString(1, after == null ? "" : after);
            ps.setInt(2, limit);
            return parse(ps);
          }
        });
    for (Row row : rows) {
      try {
        verify(row);
      } catch (KeyturnException.IntegrityFailure e) {
        failed.accept(e.object());
      }
    }
    return new IntegritySweep.Page(
        rows.size(), rows.isEmpty() ? null : rows.get(rows.size() - 1).token.id());
  }

  /** Token rows as stored, unchecked. */
  private static List<Row> parse(PreparedStatement ps) throws SQLException {
    List<Row> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String grants = rs.getString(4);
        TokenRecord token =
            new TokenRecord(
                rs.getString(1),
                rs.getString(3),
                rs.getBytes(2),
                grants.isEmpty() ? List.of() : Arrays.asList(grants.split("\n")),
                Instant.ofEpochMilli(rs.getLong(5)),
                millis(rs, 6),
                millis(rs, 7),
                Optional.ofNullable(rs.getString(8)),
                TokenRecord.CreatorSource.fromWire(rs.getString(9)),
                millis(rs, 12).map(l -> Duration.ofMillis(l.toEpochMilli())));
        out.add(new Row(token, rs.getLong(10), rs.getBytes(11)));
      }
    }
    return out;
  }

  private void verify(Row row) {
    if (!integrity.active()) {
      return;
    }
    String label = "token " + row.token.id();
    integrity.checkMac(
        label, mac(integrity.macs(), row.token, row.generation), row.mac, Optional.empty());
    integrity.checkGeneration(
        label, Generations.token(row.token.id()), row.generation, Optional.empty());
  }

  /** Writes {@code token} over its row at the next generation, with its MAC. */
  private void rewrite(java.sql.Connection c, Row before, TokenRecord token) throws SQLException {
    long generation = 0;
    byte[] mac = null;
    if (integrity.active()) {
      String object = Generations.token(token.id());
      generation = integrity.next(object, before.generation);
      mac = mac(integrity.macs(), token, generation);
      jdbc.wrote(object, generation);
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE tokens SET revoked_at = ?, creator = ?, creator_source = ?, generation = ?,"
                + " mac = ?, expires_at = ?, lifetime_ms = ? WHERE id = ?")) {
      setMillis(ps, 1, token.revokedAt());
      ps.setString(2, token.creator().orElse(null));
      ps.setString(3, token.creatorSource().wireName());
      ps.setLong(4, generation);
      ps.setBytes(5, mac);
      setMillis(ps, 6, token.expiresAt());
      setLifetime(ps, 7, token.lifetime());
      ps.setString(8, token.id());
      ps.executeUpdate();
    }
  }

  static byte[] mac(RowMacs macs, TokenRecord t, long generation) {
    return macs.token(
        t.id(),
        t.hash(),
        t.name(),
        t.grants(),
        t.createdAt().toEpochMilli(),
        t.expiresAt().map(Instant::toEpochMilli),
        t.revokedAt().map(Instant::toEpochMilli),
        t.creator(),
        t.creatorSource().wireName(),
        t.lifetime().map(Duration::toMillis),
        generation);
  }

  /** A token row as read: the token, its generation and its MAC. */
  private record Row(TokenRecord token, long generation, byte[] mac) {}

  @Override
  public List<TokenRecord> list() {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM tokens ORDER BY created_at, id")) {
        return readAll(ps).stream().map(Row::token).toList();
      }
    });
  }

  @Override
  public List<TokenRecord> revoke(String id, Instant at) {
    return jdbc.write(c -> {
      if (dialect == Dialect.POSTGRESQL) {
        // Excludes other revocations and token creations (which lock their creator's row) until
        // this one commits, so the lineage read below is complete.
        try (Statement st = c.createStatement()) {
          st.execute("LOCK TABLE tokens IN EXCLUSIVE MODE");
        }
      }
      List<Row> rows;
      try (PreparedStatement ps =
          c.prepareStatement("SELECT " + COLUMNS + " FROM tokens ORDER BY created_at, id")) {
        rows = readAll(ps);
      }
      List<TokenRecord> all = rows.stream().map(Row::token).toList();
      List<String> ids = TokenLineage.toRevoke(all, id, at);
      java.util.Map<String, Row> byId = new java.util.HashMap<>();
      rows.forEach(r -> byId.put(r.token.id(), r));
      List<TokenRecord> out = new ArrayList<>();
      for (String each : ids) {
        Row row = byId.get(each);
        if (row == null) {
          continue;
        }
        if (row.token.revokedAt().isPresent()) {
          out.add(row.token);
        } else {
          TokenRecord revoked = row.token.revoked(at);
          rewrite(c, row, revoked);
          out.add(revoked);
        }
      }
      return out;
    });
  }

  @Override
  public void resolveCreator(
      String id, Optional<String> creator, TokenRecord.CreatorSource source) {
    jdbc.write(c -> {
      Optional<Row> row;
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + COLUMNS
                  + " FROM tokens WHERE id = ? AND creator_source = 'unresolved'")) {
        ps.setString(1, id);
        row = readAll(ps).stream().findFirst();
      }
      if (row.isPresent()) {
        rewrite(c, row.get(), row.get().token.withCreator(creator, source));
      }
      return null;
    });
  }

  @Override
  public TokenRecord renew(String id, Instant at) {
    return jdbc.write(c -> {
      // PostgreSQL: FOR UPDATE takes a ROW SHARE lock, which a revocation's EXCLUSIVE table lock
      // excludes, so a renewal and a revocation never interleave. SQLite serializes every write.
      Optional<Row> row = lockedRow(c, id);
      if (row.isEmpty()) {
        throw new KeyturnException.NotFound("token " + id + " does not exist");
      }
      TokenRecord token = row.get().token;
      Optional<Instant> creatorExpiry = Optional.empty();
      Optional<String> creatorId = token.effectiveCreator();
      if (creatorId.isPresent() && token.validAt(at)) {
        Optional<TokenRecord> creator = lockedRow(c, creatorId.get()).map(Row::token);
        if (creator.isEmpty() || !creator.get().validAt(at)) {
          throw new KeyturnException.Unauthenticated(
              "token " + id + ": its creator is no longer valid");
        }
        creatorExpiry = creator.get().expiresAt();
      }
      TokenRecord renewed = token.renewed(at, creatorExpiry);
      rewrite(c, row.get(), renewed);
      return renewed;
    });
  }

  private Optional<Row> lockedRow(java.sql.Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + COLUMNS + " FROM tokens WHERE id = ?" + dialect.forUpdate)) {
      ps.setString(1, id);
      return readAll(ps).stream().findFirst();
    }
  }

  @Override
  public long count() {
    return jdbc.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM tokens");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  private static void setMillis(PreparedStatement ps, int index, Optional<Instant> value)
      throws SQLException {
    if (value.isPresent()) {
      ps.setLong(index, value.get().toEpochMilli());
    } else {
      ps.setNull(index, Types.BIGINT);
    }
  }

  private static void setLifetime(PreparedStatement ps, int index, Optional<Duration> value)
      throws SQLException {
    setMillis(ps, index, value.map(d -> Instant.ofEpochMilli(d.toMillis())));
  }

  private static Optional<Instant> millis(ResultSet rs, int index) throws SQLException {
    long value = rs.getLong(index);
    return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(value));
  }
}
