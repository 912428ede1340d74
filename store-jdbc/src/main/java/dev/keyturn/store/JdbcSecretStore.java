package dev.keyturn.store;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.VersionSet;
import dev.keyturn.core.integrity.Generations;
import dev.keyturn.core.integrity.RowMacs;
import dev.keyturn.core.spi.SecretChange;
import dev.keyturn.core.spi.SecretStore;
import dev.keyturn.core.spi.StoredSecret;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Secrets and versions in the {@code secrets} and {@code versions} tables of a {@link JdbcStore}.
 * Updates of one secret are serialized: SQLite opens every write transaction with {@code BEGIN
 * IMMEDIATE}; PostgreSQL locks the secret's row with {@code SELECT ... FOR UPDATE}. Thread-safe.
 */
final class JdbcSecretStore implements SecretStore {
  private static final String SECRET_COLUMNS =
      "id, name, data_key, destroyed, created_at, updated_at, live, generation, mac";
  private static final String VERSION_COLUMNS =
      "secret_id, number, stage, value_type, created_at, created_by, accept_until, fingerprint";

  private final Jdbc jdbc;
  private final Dialect dialect;
  private final Clock clock;
  private final Integrity integrity;

  JdbcSecretStore(Jdbc jdbc, Dialect dialect, Clock clock, Integrity integrity) {
    this.jdbc = jdbc;
    this.dialect = dialect;
    this.clock = clock;
    this.integrity = integrity;
  }

  @Override
  public StoredSecret update(SecretName name, Function<StoredSecret, SecretChange> change) {
    requireNonNull(name, "name");
    requireNonNull(change, "change");
    return jdbc.write(c -> {
      long now = clock.millis();
      boolean inserted;
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT INTO secrets (name, created_at, updated_at) VALUES (?, ?, ?)"
                  + " ON CONFLICT (name) DO NOTHING")) {
        insert.setString(1, name.value());
        insert.setLong(2, now);
        insert.setLong(3, now);
        inserted = insert.executeUpdate() == 1;
      }
      if (inserted && integrity.active()) {
        integrity.checkPresent("secret " + name, Generations.secret(name.value()), name.value());
      }
      // A row this transaction just inserted has nothing to verify yet.
      Loaded before = load(c, name, dialect.forUpdate, !inserted).orElseThrow();
      SecretChange result = change.apply(before.secret);
      result.checkFollows(before.secret.versions());
      write(c, before.secret, result, now);
      jdbc.changed(c, ChangeEvents.changes(before.secret.versions(), result.after(), now));
      ChangeEvents.secretWritten(c, dialect, name.value());
      if (integrity.active()) {
        String object = Generations.secret(name.value());
        long generation = integrity.next(object, before.generation);
        seal(c, before.secret.id(), generation);
        jdbc.wrote(object, generation);
      }
      return load(c, name, "", false).orElseThrow().secret;
    });
  }

  @Override
  public Optional<StoredSecret> find(SecretName name) {
    requireNonNull(name, "name");
    return jdbc.read(c -> {
      Optional<StoredSecret> found = load(c, name, "", true).map(Loaded::secret);
      if (found.isEmpty() && integrity.active()) {
        // Keyturn never deletes a secret row (deleting retires its versions): one the audit
        // chain knows and the table lacks was removed outside Keyturn.
        integrity.checkPresent("secret " + name, Generations.secret(name.value()), name.value());
      }
      return found;
    });
  }

  @Override
  public Optional<byte[]> ciphertext(long secretId, int version) {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT ciphertext FROM versions WHERE secret_id = ? AND number = ?")) {
        ps.setLong(1, secretId);
        ps.setInt(2, version);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.ofNullable(rs.getBytes(1)) : Optional.empty();
        }
      }
    });
  }

  @Override
  public Map<Long, Map<Integer, byte[]>> ciphertexts(Map<Long, List<Integer>> versions) {
    requireNonNull(versions, "versions");
    Map<Long, Map<Integer, byte[]>> out = new HashMap<>();
    if (versions.isEmpty()) {
      return out;
    }
    List<Long> ids = List.copyOf(versions.keySet());
    return jdbc.read(c -> {
      // A thousand ids at most per statement, as loadVersions reads a page.
      for (int from = 0; from < ids.size(); from += 1000) {
        List<Long> part = ids.subList(from, Math.min(ids.size(), from + 1000));
        String marks = String.join(", ", java.util.Collections.nCopies(part.size(), "?"));
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT secret_id, number, ciphertext FROM versions WHERE secret_id IN ("
                    + marks
                    + ") AND ciphertext IS NOT NULL")) {
          for (int i = 0; i < part.size(); i++) {
            ps.setLong(i + 1, part.get(i));
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              long id = rs.getLong(1);
              int number = rs.getInt(2);
              if (versions.get(id).contains(number)) {
                out.computeIfAbsent(id, k -> new HashMap<>()).put(number, rs.getBytes(3));
              }
            }
          }
        }
      }
      return out;
    });
  }

  @Override
  public List<StoredSecret> list(String prefix, Optional<String> after, int limit) {
    requireNonNull(prefix, "prefix");
    requireNonNull(after, "after");
    return jdbc.read(c -> {
      List<SecretRow> rows = new ArrayList<>();
      try (PreparedStatement ps = liveRange(c, SECRET_COLUMNS, prefix, after, limit)) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            rows.add(SecretRow.read(rs));
          }
        }
      }
      Map<Long, List<VersionRow>> versions = loadVersions(c, rows.stream().map(r -> r.id).toList());
      List<StoredSecret> out = new ArrayList<>();
      for (SecretRow r : rows) {
        List<VersionRow> of = versions.getOrDefault(r.id, List.of());
        verify(r, of);
        out.add(r.toStored(of));
      }
      return out;
    });
  }

  @Override
  public List<SecretName> names(String prefix, Optional<String> after, int limit) {
    requireNonNull(prefix, "prefix");
    requireNonNull(after, "after");
    return jdbc.read(c -> {
      // The same rows as list(), by the name index alone: no versions read, no MAC checked.
      List<SecretName> out = new ArrayList<>();
      try (PreparedStatement ps = liveRange(c, "name", prefix, after, limit)) {
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            SecretName.parse(rs.getString(1)).ifPresent(out::add);
          }
        }
      }
      return out;
    });
  }

  /**
   * {@code SELECT columns} of the live secrets at or below {@code prefix}, named after {@code
   * after}, in name order, at most {@code limit}; what {@link #list} and {@link #names} share.
   */
  private static PreparedStatement liveRange(
      Connection c, String columns, String prefix, Optional<String> after, int limit)
      throws SQLException {
    // Names use only ASCII characters below '~', so prefix + "~" bounds the range.
    StringBuilder sql = new StringBuilder("SELECT " + columns + " FROM secrets WHERE live = 1");
    List<String> args = new ArrayList<>();
    if (!prefix.isEmpty()) {
      sql.append(" AND name >= ? AND name < ?");
      args.add(prefix);
      args.add(prefix + "~");
    }
    if (after.isPresent()) {
      sql.append(" AND name > ?");
      args.add(after.get());
    }
    sql.append(" ORDER BY name LIMIT ?");
    PreparedStatement ps = c.prepareStatement(sql.toString());
    try {
      int i = 1;
      for (String arg : args) {
        ps.setString(i++, arg);
      }
      ps.setInt(i, limit);
      return ps;
    } catch (SQLException e) {
      ps.close();
      throw e;
    }
  }

  @Override
  public List<SecretName> withExpiredPrevious(Instant now, int limit) {
    return jdbc.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT DISTINCT s.name FROM versions v JOIN secrets s ON s.id = v.secret_id"
                  + " WHERE v.stage = 'previous' AND v.accept_until <= ? LIMIT ?")) {
        ps.setLong(1, now.toEpochMilli());
        ps.setInt(2, limit);
        List<SecretName> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(SecretName.of(rs.getString(1)));
          }
        }
        return out;
      }
    });
  }

  private void write(Connection c, StoredSecret before, SecretChange change, long now)
      throws SQLException {
    // Rows leaving current or pending are written first, so that the one-current and
    // one-pending indexes hold after every statement, not only at commit.
    List<Version> demoted = new ArrayList<>();
    List<Version> promoted = new ArrayList<>();
    List<Version> added = new ArrayList<>();
    for (Version v : change.after().versions()) {
      Optional<Version> old = before.versions().version(v.number());
      if (old.isEmpty()) {
        added.add(v);
      } else if (!old.get().equals(v)) {
        (v.stage() == Stage.CURRENT || v.stage() == Stage.PENDING ? promoted : demoted).add(v);
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE versions SET stage = ?, accept_until = ? WHERE secret_id = ? AND number = ?")) {
      for (Version v : concat(demoted, promoted)) {
        ps.setString(1, v.stage().wireName());
        setNullableMillis(ps, 2, v.acceptUntil());
        ps.setLong(3, before.id());
        ps.setInt(4, v.number());
        ps.executeUpdate();
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO versions ("
                + VERSION_COLUMNS
                + ", ciphertext)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (Version v : added) {
        ps.setLong(1, before.id());
        ps.setInt(2, v.number());
        ps.setString(3, v.stage().wireName());
        ps.setString(4, v.type().wireName());
        ps.setLong(5, v.createdAt().toEpochMilli());
        ps.setString(6, v.createdBy());
        setNullableMillis(ps, 7, v.acceptUntil());
        ps.setString(8, v.fingerprint());
        ps.setBytes(9, change.newCiphertexts().get(v.number()));
        ps.executeUpdate();
      }
    }
    if (change.destroyCiphertexts()) {
      try (PreparedStatement ps =
          c.prepareStatement("UPDATE versions SET ciphertext = NULL WHERE secret_id = ?")) {
        ps.setLong(1, before.id());
        ps.executeUpdate();
      }
    }
    boolean live = !change.after().allRetired();
    String sql =
        change.destroyCiphertexts()
            ? "UPDATE secrets SET updated_at = ?, live = ?, data_key = NULL, destroyed = 1"
                + " WHERE id = ?"
            : change.newWrappedDataKey().isPresent()
                ? "UPDATE secrets SET updated_at = ?, live = ?, data_key = ?, destroyed = 0"
                    + " WHERE id = ?"
                : "UPDATE secrets SET updated_at = ?, live = ? WHERE id = ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, now);
      ps.setInt(2, live ? 1 : 0);
      if (change.newWrappedDataKey().isPresent() && !change.destroyCiphertexts()) {
        ps.setBytes(3, change.newWrappedDataKey().get());
        ps.setLong(4, before.id());
      } else {
        ps.setLong(3, before.id());
      }
      ps.executeUpdate();
    }
  }

  private Optional<Loaded> load(Connection c, SecretName name, String lock, boolean verify)
      throws SQLException {
    SecretRow row;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + SECRET_COLUMNS + " FROM secrets WHERE name = ?" + lock)) {
      ps.setString(1, name.value());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        row = SecretRow.read(rs);
      }
    }
    List<VersionRow> versions = loadVersions(c, List.of(row.id)).getOrDefault(row.id, List.of());
    if (verify) {
      verify(row, versions);
    }
    return Optional.of(new Loaded(row.toStored(versions), row.generation));
  }

  /**
   * Checks the secret rows after {@code after} (by name, deleted ones too, at most {@code limit})
   * with their version rows, one secret at a time, for {@link IntegritySweep}: a failing secret is
   * reported to {@code failed} and the rest still checked.
   */
  IntegritySweep.Page sweepPage(String after, int limit, Consumer<String> failed) {
    return jdbc.read(c -> {
      List<SecretRow> rows = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + SECRET_COLUMNS
                  + " FROM secrets WHERE name "
                  + IntegritySweep.after(after)
                  + " ORDER BY name LIMIT ?")) {
        ps.setString(1, after == null ? "" : after);
        ps.setInt(2, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            rows.add(SecretRow.read(rs));
          }
        }
      }
      Map<Long, List<VersionRow>> versions = loadVersions(c, rows.stream().map(r -> r.id).toList());
      for (SecretRow r : rows) {
        try {
          verify(r, versions.getOrDefault(r.id, List.of()));
        } catch (KeyturnException.IntegrityFailure e) {
          failed.accept(e.object());
        }
      }
      return new IntegritySweep.Page(rows.size(), rows.isEmpty() ? null : rows.getLast().name);
    });
  }

  /**
   * Rewraps, in one transaction, the data keys of the secrets after id {@code afterId} (at most
   * {@code limit} rows, in id order) that are not wrapped by the envelope's wrapping root key: each
   * such row is checked first (MACs and generation, so a row edited outside Keyturn is refused,
   * never blessed), then written with its new wrapped key, the next generation and new MACs.
   *
   * @throws KeyturnException.IntegrityFailure for a row that fails its checks (nothing of the page
   *     is written)
   */
  JdbcStore.RewrapPage rewrapPage(
      long afterId, int limit, dev.keyturn.core.crypto.Envelope envelope) {
    String wrapping = envelope.rootKeyId();
    return jdbc.write(c -> {
      List<SecretRow> rows = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + SECRET_COLUMNS
                  + " FROM secrets WHERE id > ? ORDER BY id LIMIT ?"
                  + dialect.forUpdate)) {
        ps.setLong(1, afterId);
        ps.setInt(2, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            rows.add(SecretRow.read(rs));
          }
        }
      }
      List<SecretRow> stale =
          rows.stream().filter(r -> r.dataKey != null && !wrapping.equals(wrappedBy(r))).toList();
      Map<Long, List<VersionRow>> versions =
          loadVersions(c, stale.stream().map(r -> r.id).toList());
      try (PreparedStatement ps =
          c.prepareStatement("UPDATE secrets SET data_key = ? WHERE id = ?")) {
        for (SecretRow row : stale) {
          verify(row, versions.getOrDefault(row.id, List.of()));
          ps.setBytes(
              1, envelope.rewrapDataKey(row.dataKey, row.id, row.name, StoredSecret.DATA_KEY));
          ps.setLong(2, row.id);
          ps.executeUpdate();
          if (integrity.active()) {
            String object = Generations.secret(row.name);
            long generation = integrity.next(object, row.generation);
            seal(c, row.id, generation);
            jdbc.wrote(object, generation);
          }
          ChangeEvents.secretWritten(c, dialect, row.name);
        }
      }
      return new JdbcStore.RewrapPage(
          rows.size(), stale.size(), rows.isEmpty() ? afterId : rows.getLast().id);
    });
  }

  /** The root key id in a row's wrapped data key, or "" for one that has no readable header. */
  private static String wrappedBy(SecretRow row) {
    try {
      return dev.keyturn.core.crypto.Envelope.keyId(row.dataKey);
    } catch (KeyturnException.CryptoFailure e) {
      return "";
    }
  }

  /**
   * How many secrets' data keys are wrapped by another root key than {@code keyId} (or have no
   * readable header), read on {@code c}.
   */
  static long countWrappedByOther(Connection c, String keyId) throws SQLException {
    long count = 0;
    try (PreparedStatement ps =
            c.prepareStatement("SELECT data_key FROM secrets WHERE data_key IS NOT NULL");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        byte[] wrapped = rs.getBytes(1);
        String id;
        try {
          id = dev.keyturn.core.crypto.Envelope.keyId(wrapped);
        } catch (KeyturnException.CryptoFailure e) {
          id = "";
        }
        if (!id.equals(keyId)) {
          count++;
        }
      }
    }
    return count;
  }

  /**
   * Checks the secret row and every version row against their MACs, and the secret's generation
   * against the ledger.
   */
  private void verify(SecretRow row, List<VersionRow> versions) {
    if (!integrity.active()) {
      return;
    }
    String label = "secret " + row.name;
    List<byte[]> macs = new ArrayList<>();
    for (VersionRow v : versions) {
      byte[] expected = versionMac(row.id, row.name, v);
      integrity.checkMac(label + "#" + v.version.number(), expected, v.mac, Optional.of(row.name));
      macs.add(expected);
    }
    integrity.checkMac(label, secretMac(row, row.generation, macs), row.mac, Optional.of(row.name));
    integrity.checkGeneration(
        label, Generations.secret(row.name), row.generation, Optional.of(row.name));
  }

  /** Writes the MACs of the secret's rows as they now stand, at {@code generation}. */
  private void seal(Connection c, long id, long generation) throws SQLException {
    SecretRow row;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + SECRET_COLUMNS + " FROM secrets WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        row = SecretRow.read(rs);
      }
    }
    List<byte[]> macs = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE versions SET mac = ? WHERE secret_id = ? AND number = ?")) {
      for (VersionRow v : loadVersions(c, List.of(id)).getOrDefault(id, List.of())) {
        byte[] mac = versionMac(id, row.name, v);
        macs.add(mac);
        if (!java.util.Arrays.equals(mac, v.mac)) {
          ps.setBytes(1, mac);
          ps.setLong(2, id);
          ps.setInt(3, v.version.number());
          ps.executeUpdate();
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE secrets SET generation = ?, mac = ? WHERE id = ?")) {
      ps.setLong(1, generation);
      ps.setBytes(2, secretMac(row, generation, macs));
      ps.setLong(3, id);
      ps.executeUpdate();
    }
  }

  private byte[] versionMac(long secretId, String name, VersionRow row) {
    return versionMac(integrity.macs(), secretId, name, row);
  }

  private byte[] secretMac(SecretRow row, long generation, List<byte[]> versionMacs) {
    return secretMac(integrity.macs(), row, generation, versionMacs);
  }

  static byte[] versionMac(RowMacs macs, long secretId, String name, VersionRow row) {
    Version v = row.version;
    return macs.version(
        secretId,
        name,
        v.number(),
        v.stage().wireName(),
        v.type().wireName(),
        v.createdAt().toEpochMilli(),
        v.createdBy(),
        v.acceptUntil().map(Instant::toEpochMilli),
        v.fingerprint(),
        row.hasCiphertext);
  }

  static byte[] secretMac(RowMacs macs, SecretRow row, long generation, List<byte[]> versionMacs) {
    return macs.secret(
        row.id,
        row.name,
        generation,
        row.destroyed,
        row.live,
        row.createdAt,
        row.updatedAt,
        Optional.ofNullable(row.dataKey),
        versionMacs);
  }

  /** Every version of each secret in {@code ids}, in number order. */
  static Map<Long, List<VersionRow>> loadVersions(Connection c, List<Long> ids)
      throws SQLException {
    Map<Long, List<VersionRow>> out = new HashMap<>();
    if (ids.isEmpty()) {
      return out;
    }
    String marks = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + VERSION_COLUMNS
                + ", mac, ciphertext IS NOT NULL FROM versions WHERE secret_id IN ("
                + marks
                + ") ORDER BY secret_id, number")) {
      for (int i = 0; i < ids.size(); i++) {
        ps.setLong(i + 1, ids.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long acceptUntil = rs.getLong(7);
          Optional<Instant> until =
              rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(acceptUntil));
          Version v =
              new Version(
                  rs.getInt(2),
                  Stage.fromWire(rs.getString(3)),
                  ValueType.fromWire(rs.getString(4)),
                  Instant.ofEpochMilli(rs.getLong(5)),
                  rs.getString(6),
                  until,
                  rs.getString(8));
          out.computeIfAbsent(rs.getLong(1), k -> new ArrayList<>())
              .add(new VersionRow(v, rs.getBytes(9), rs.getBoolean(10)));
        }
      }
    }
    return out;
  }

  private static void setNullableMillis(PreparedStatement ps, int index, Optional<Instant> value)
      throws SQLException {
    if (value.isPresent()) {
      ps.setLong(index, value.get().toEpochMilli());
    } else {
      ps.setNull(index, Types.BIGINT);
    }
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** A secret as read, with the generation its row carries. */
  private record Loaded(StoredSecret secret, long generation) {}

  /** A version row as read: the version, its MAC, and whether its ciphertext is still there. */
  record VersionRow(Version version, byte[] mac, boolean hasCiphertext) {}

  /** A secret row as read. */
  record SecretRow(
      long id,
      String name,
      byte[] dataKey,
      boolean destroyed,
      long createdAt,
      long updatedAt,
      boolean live,
      long generation,
      byte[] mac) {
    static SecretRow read(ResultSet rs) throws SQLException {
      return new SecretRow(
          rs.getLong(1),
          rs.getString(2),
          rs.getBytes(3),
          rs.getInt(4) != 0,
          rs.getLong(5),
          rs.getLong(6),
          rs.getInt(7) != 0,
          rs.getLong(8),
          rs.getBytes(9));
    }

    StoredSecret toStored(List<VersionRow> versions) {
      SecretName secretName = SecretName.of(name);
      return new StoredSecret(
          id,
          secretName,
          Optional.ofNullable(dataKey),
          new VersionSet(secretName, versions.stream().map(VersionRow::version).toList()),
          Instant.ofEpochMilli(createdAt),
          Instant.ofEpochMilli(updatedAt),
          destroyed);
    }
  }
}
