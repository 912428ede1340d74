package dev.keyturn.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.util.DriverDataSource;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RootKeyChange;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditWriter;
import dev.keyturn.core.spi.ConsumerStore;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.SecretStore;
import dev.keyturn.core.spi.SettingStore;
import dev.keyturn.core.spi.Store;
import dev.keyturn.core.spi.TokenStore;
import dev.keyturn.core.spi.UnitOfWork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The {@link Store} on JDBC: SQLite (the embedded default) or PostgreSQL (several nodes sharing one
 * database). Updates of one secret are serialized: on SQLite every write transaction of this
 * process runs in turn on the one connection of a {@link GroupCommit} (opened with {@code BEGIN
 * IMMEDIATE}, so other processes wait too), which commits several of them with one fsync;
 * PostgreSQL locks the secret's row with {@code SELECT ... FOR UPDATE}. Just before a {@link
 * UnitOfWork} commits, its change events are written under the change-events ordering lock ({@link
 * ChangeEvents}), then its audit records are chained under the lock the group-committing {@link
 * AuditLog} takes (on PostgreSQL both are transaction-scoped advisory locks; SQLite has one
 * writer): always the last two locks a transaction takes, in that order, so no transaction holding
 * either waits for a row lock. The schema is migrated with Flyway when the store opens.
 *
 * <p>On PostgreSQL, a pooled connection that the server dropped (a restart, {@code
 * pg_terminate_backend}) renews the pool; the read, write or audit batch that met it runs again on
 * a new connection where that provably changes nothing twice ({@link DroppedConnections}). A {@link
 * UnitOfWork} does not: its work is the caller's code, so the unit fails as it did.
 *
 * <p>Thread-safe. SQL errors become {@link KeyturnException.Unavailable}; statements take values
 * only as parameters, so no error text carries one.
 */
public final class JdbcStore implements Store {
  /** The action of the record that carries generations written with no record of their own. */
  static final String WRITE_ACTION = "integrity.write";

  private static final long ROOT_KEY_LOCK = 0x6b74726f6f746b79L; // "ktrootky"

  private final HikariDataSource dataSource;
  private final DroppedConnections connections;
  private final Dialect dialect;
  private final Clock clock;
  private final Pooled pooled = new Pooled();
  private final Integrity integrity;
  private final JdbcSecretStore secrets;
  private final JdbcTokenStore tokens;
  private final JdbcRotationStore rotations;
  private final SettingStore settings;
  private final JdbcConsumerStore consumers;
  private final ChangeEvents changeEvents;
  private final GroupCommit groupCommit;
  private volatile AuditChain chain;
  private volatile AuditLog auditLog;
  private final Optional<WalCheckpointer> checkpointer;

  private JdbcStore(HikariDataSource dataSource, Dialect dialect, Clock clock) {
    this.dataSource = dataSource;
    this.connections = new DroppedConnections(dataSource, dialect);
    this.dialect = dialect;
    this.clock = clock;
    this.checkpointer =
        dialect == Dialect.SQLITE ? Optional.of(new WalCheckpointer(dataSource)) : Optional.empty();
    this.integrity = new Integrity(pooled, dialect, clock);
    this.secrets = new JdbcSecretStore(pooled, dialect, clock, integrity);
    this.tokens = new JdbcTokenStore(pooled, dialect, integrity);
    this.rotations = new JdbcRotationStore(pooled, dialect, integrity);
    this.settings = new JdbcSettingStore(pooled);
    this.consumers = new JdbcConsumerStore(pooled, integrity);
    this.changeEvents = new ChangeEvents(pooled, dialect, dataSource.getJdbcUrl());
    this.groupCommit = new GroupCommit(dataSource);
  }

  /** The change events that every committed version change writes (for {@code GET /v1/watch}). */
  public ChangeEvents changeEvents() {
    return changeEvents;
  }

  /**
   * Opens the store at {@code jdbcUrl} and migrates its schema. For SQLite the database file is
   * created with mode 600 (its {@code -wal} and {@code -shm} files follow its mode) in a directory
   * that must exist.
   */
  public static JdbcStore open(String jdbcUrl, Clock clock) {
    requireNonNull(jdbcUrl, "jdbcUrl");
    requireNonNull(clock, "clock");
    Dialect dialect = Dialect.of(jdbcUrl);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setPoolName("keyturn-store");
    config.setAutoCommit(true);
    if (dialect == Dialect.SQLITE) {
      prepareSqliteFile(jdbcUrl);
      // sqlite-jdbc applies these pragmas to every connection it opens, so every pooled
      // connection has them; transaction_mode makes each transaction BEGIN IMMEDIATE.
      Properties pragmas = new Properties();
      pragmas.setProperty("journal_mode", "WAL");
      pragmas.setProperty("synchronous", "FULL");
      pragmas.setProperty("busy_timeout", "30000");
      pragmas.setProperty("foreign_keys", "true");
      pragmas.setProperty("transaction_mode", "IMMEDIATE");
      // Checkpoints run on a thread of their own (WalCheckpointer), not in the commit that
      // crosses the threshold.
      pragmas.setProperty("wal_autocheckpoint", "0");
      // Deleted and overwritten rows are zeroed in the file, not left in free space: a wrapped key
      // replaced by a root key rotation (or a row's old ciphertext) must not outlive its row for
      // whoever later holds an old root key or old shares and a copy of the file.
      pragmas.setProperty("secure_delete", "true");
      // Statement journals in memory: the group commit runs each transaction in a savepoint, and
      // SQLite copies every page a savepoint changes into a statement journal that spills to a
      // temporary file past 64 KiB, so each group created, wrote and deleted a file (in /var/tmp,
      // with copies of the pages: ciphertexts and wrapped keys). The journal only serves a
      // rollback to a savepoint; after a crash the write-ahead log alone counts.
      pragmas.setProperty("temp_store", "MEMORY");
      // No generated keys: the store reads none, and sqlite-jdbc otherwise fetches them after
      // every insert and update (a statement and its column names each time; 5 % of a rotation's
      // CPU time).
      pragmas.setProperty("jdbc.get_generated_keys", "false");
      // The connections Hikari would open from the URL and these properties, each keeping its
      // prepared statements for its lifetime (sqlite-jdbc has no statement cache; pgjdbc has).
      config.setDataSource(
          StatementCache.keeping(new DriverDataSource(jdbcUrl, null, pragmas, null, null)));
      config.setMaximumPoolSize(8);
    } else {
      config.setMaximumPoolSize(16);
    }
    HikariDataSource dataSource;
    try {
      dataSource = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new KeyturnException.Unavailable("cannot open the store: " + rootMessage(e), e);
    }
    try {
      Flyway.configure()
          .dataSource(dataSource)
          .locations(dialect.migrations)
          // V7 (integrity) was numbered before V8 but lands after it: stores at V8 take it too.
          .outOfOrder(true)
          .javaMigrations(new RuleDocumentsMigration())
          .loggers("slf4j")
          .load()
          .migrate();
      if (dialect == Dialect.SQLITE) {
        tightenSqliteSideFiles(jdbcUrl);
      }
      return new JdbcStore(dataSource, dialect, clock);
    } catch (RuntimeException e) {
      dataSource.close();
      throw new KeyturnException.Unavailable("cannot migrate the store: " + rootMessage(e), e);
    }
  }

  /** For tests of the integrity migrations: this store's protection and its writer. */
  IntegrityMigration integrityMigration() {
    return new IntegrityMigration(dialect, clock, chain, settings, pooled);
  }

  /** For tests of the integrity migrations: this store's protection. */
  Integrity integrity() {
    return integrity;
  }

  /** The pool, for tests that look at connection settings. */
  DataSource dataSource() {
    return dataSource;
  }

  @Override
  public SecretStore secrets() {
    return secrets;
  }

  @Override
  public TokenStore tokens() {
    return tokens;
  }

  @Override
  public RotationStore rotations() {
    return rotations;
  }

  @Override
  public SettingStore settings() {
    return settings;
  }

  @Override
  public ConsumerStore consumers() {
    return consumers;
  }

  @Override
  public AuditLog openAuditLog(AuditChain chain) {
    this.chain = requireNonNull(chain, "chain");
    AuditLog log =
        new JdbcAuditLog(pooled, dialect, chain, Optional.of(connections), integrity::sealed);
    this.auditLog = log;
    return log;
  }

  @Override
  public SweepResult sweep() {
    if (!integrity.active()) {
      return Store.super.sweep();
    }
    return IntegritySweep.run(List.of(secrets::sweepPage, tokens::sweepPage, rotations::sweepPage));
  }

  @Override
  public void protect(Envelope envelope) {
    requireNonNull(envelope, "envelope");
    AuditChain sealing = chain;
    AuditLog log = auditLog;
    if (sealing == null || log == null) {
      throw new IllegalStateException("protect needs the audit log open");
    }
    new IntegrityMigration(dialect, clock, sealing, settings, pooled)
        .protect(envelope, log, integrity);
  }

  /**
   * Records the start of a root key rotation with its audit record, in one transaction, unless it
   * is recorded already. At most one rotation is recorded at a time, across every node sharing the
   * store.
   *
   * @return true if this call recorded it, false if this very rotation was recorded before (a
   *     resume)
   * @throws KeyturnException.Conflict if another rotation is recorded
   */
  public boolean beginRootKeyRotation(RootKeyChange change, AuditEvent start) {
    return beginRootKeyRotation(change, Optional.empty(), start);
  }

  /**
   * As {@link #beginRootKeyRotation(RootKeyChange, AuditEvent)}, recording in the same transaction
   * the rotation's two keys each wrapped by the other ({@link RootKeyChange#KEYS_SETTING}), for a
   * share-held key.
   */
  public boolean beginRootKeyRotation(
      RootKeyChange change, Optional<String> wrappedKeys, AuditEvent start) {
    requireNonNull(change, "change");
    requireNonNull(wrappedKeys, "wrappedKeys");
    requireNonNull(start, "start");
    return transaction(c -> {
      lockRootKeySettings(c);
      Optional<RootKeyChange> recorded = RootKeyChange.parse(readSetting(c, RootKeyChange.SETTING));
      if (recorded.isPresent()) {
        if (recorded.get().equals(change)) {
          return false;
        }
        throw new KeyturnException.Conflict(
            "a root key rotation from "
                + recorded.get().from()
                + " to "
                + recorded.get().to()
                + " is in progress");
      }
      Optional<String> inForce = readSetting(c, RootKeyChange.ROOT_KEY_ID_SETTING);
      if (inForce.isPresent() && !inForce.get().equals(change.from())) {
        throw new KeyturnException.Conflict(
            "the store's root key is " + inForce.get() + ", not " + change.from());
      }
      writeSetting(c, RootKeyChange.SETTING, change.wire());
      if (wrappedKeys.isPresent()) {
        writeSetting(c, RootKeyChange.KEYS_SETTING, wrappedKeys.get());
      }
      seal(c, List.of(start), Map.of());
      return true;
    });
  }

  /**
   * One page of a root key rotation: rewraps the data keys of up to {@code limit} secrets after id
   * {@code afterId} that the envelope's wrapping key does not wrap (see {@link
   * JdbcSecretStore#rewrapPage}).
   *
   * @throws KeyturnException.IntegrityFailure for a row that fails its checks (nothing of the page
   *     is written)
   */
  public RewrapPage rewrapDataKeys(long afterId, int limit, Envelope envelope) {
    requireNonNull(envelope, "envelope");
    return secrets.rewrapPage(afterId, limit, envelope);
  }

  /**
   * One page of a root key rotation: rows read, data keys rewrapped, and the last id read (the next
   * page's {@code afterId}).
   */
  public record RewrapPage(int read, int rewrapped, long lastId) {}

  /**
   * Ends a root key rotation in one transaction, if every data key is wrapped by {@code
   * change.to()} (the envelope's wrapping key): the metadata key is rewrapped, {@code auditKeys}
   * (earlier root keys' audit chain keys, wrapped by the new key) stored, the new key id recorded
   * as the store's, the rotation record removed and {@code end} appended.
   *
   * @return false, changing nothing, if some data key is still wrapped by another key
   * @throws KeyturnException.Conflict if {@code change} is not the rotation recorded
   */
  public boolean finishRootKeyRotation(
      RootKeyChange change, Envelope envelope, String auditKeys, AuditEvent end) {
    boolean finished = finishInOneTransaction(change, envelope, auditKeys, end);
    if (finished) {
      // The rows the rotation replaced or deleted (the old wrappings, a share-held rotation's keys
      // wrapped by each other) are zeroed in their pages; empty the log of their earlier images.
      checkpointer.ifPresent(WalCheckpointer::truncate);
    }
    return finished;
  }

  private boolean finishInOneTransaction(
      RootKeyChange change, Envelope envelope, String auditKeys, AuditEvent end) {
    requireNonNull(change, "change");
    requireNonNull(envelope, "envelope");
    if (!envelope.rootKeyId().equals(change.to())) {
      throw new IllegalStateException("the envelope does not wrap with " + change.to());
    }
    return transaction(c -> {
      lockRootKeySettings(c);
      if (!RootKeyChange.parse(readSetting(c, RootKeyChange.SETTING)).equals(Optional.of(change))) {
        throw new KeyturnException.Conflict(
            "the root key rotation to " + change.to() + " is not the one recorded");
      }
      if (JdbcSecretStore.countWrappedByOther(c, change.to()) > 0) {
        return false;
      }
      Optional<String> metadata = readSetting(c, IntegrityMigration.METADATA_KEY_SETTING);
      if (metadata.isPresent()) {
        byte[] wrapped;
        try {
          wrapped = java.util.Base64.getDecoder().decode(metadata.get());
        } catch (IllegalArgumentException e) {
          throw new KeyturnException.IntegrityFailure("metadata key", "is not base64");
        }
        writeSetting(
            c,
            IntegrityMigration.METADATA_KEY_SETTING,
            java.util.Base64.getEncoder().encodeToString(envelope.rewrapMetadataKey(wrapped)));
      }
      writeSetting(c, RootKeyChange.AUDIT_KEYS_SETTING, auditKeys);
      writeSetting(c, RootKeyChange.ROOT_KEY_ID_SETTING, change.to());
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM settings WHERE key = ?")) {
        ps.setString(1, RootKeyChange.SETTING);
        ps.executeUpdate();
        ps.setString(1, RootKeyChange.KEYS_SETTING);
        ps.executeUpdate();
      }
      seal(c, List.of(end), Map.of());
      return true;
    });
  }

  /** On PostgreSQL, serializes the root key rotation's begin and end across nodes. */
  private void lockRootKeySettings(Connection c) throws SQLException {
    if (dialect == Dialect.POSTGRESQL) {
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        lock.setLong(1, ROOT_KEY_LOCK);
        lock.execute();
      }
    }
  }

  private static Optional<String> readSetting(Connection c, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT value FROM settings WHERE key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  private static void writeSetting(Connection c, String key, String value) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
                + " ON CONFLICT (key) DO UPDATE SET value = excluded.value")) {
      ps.setString(1, key);
      ps.setString(2, value);
      ps.executeUpdate();
    }
  }

  @Override
  public boolean isEmpty() {
    return pooled.read(c -> {
      try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT (SELECT COUNT(*) FROM secrets) + (SELECT COUNT(*) FROM tokens)");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) == 0;
      }
    });
  }

  @Override
  public <T> T inTransaction(Function<UnitOfWork, T> work) {
    requireNonNull(work, "work");
    Unit[] done = new Unit[1];
    // Never run twice: the unit's work is the caller's code, which may do more than its SQL.
    T out =
        transaction(
            c -> {
              Unit unit = new Unit(c);
              T result;
              try {
                result = work.apply(unit);
              } finally {
                unit.open = false;
              }
              // The two ordering locks, last and always in this order: change events, then the
              // audit chain.
              ChangeEvents.write(c, dialect, unit.changes);
              seal(c, unit.events, unit.generations);
              done[0] = unit;
              return result;
            },
            false);
    integrity.committed(done[0].generations);
    return out;
  }

  /**
   * Chains a transaction's audit records, the last one carrying the generations of the objects it
   * wrote; a write with no record of its own gets one ({@code integrity.write}), so that every new
   * generation is in the chain.
   */
  private void seal(Connection c, List<AuditEvent> events, Map<String, Long> generations)
      throws SQLException {
    List<AuditEvent> sealed = new ArrayList<>(events);
    if (!generations.isEmpty()) {
      if (sealed.isEmpty()) {
        sealed.add(
            new AuditEvent(
                clock.instant(),
                "-",
                "store",
                WRITE_ACTION,
                Optional.empty(),
                Optional.empty(),
                "ok",
                "generations of objects changed outside a request"));
      }
      int last = sealed.size() - 1;
      sealed.set(last, sealed.get(last).withGenerations(generations));
    }
    if (sealed.isEmpty()) {
      return;
    }
    AuditChain sealing = chain;
    if (sealing == null) {
      throw new IllegalStateException("audit records appended before the audit log was opened");
    }
    JdbcAuditLog.chainAndInsert(c, dialect, sealing, sealed);
  }

  @Override
  public void close() {
    checkpointer.ifPresent(WalCheckpointer::close);
    dataSource.close();
    // The metadata key is zeroed with the store: nothing reads a row through it any more.
    integrity.destroy();
  }

  /** As {@link #transaction(Jdbc.Work, boolean)}, for work that is the store's own SQL. */
  private <T> T transaction(Jdbc.Work<T> work) {
    return transaction(work, true);
  }

  /**
   * Runs {@code work} in a transaction of its own and commits it. On PostgreSQL, when the server
   * dropped the connection before the commit was sent, nothing of the transaction was kept (the
   * server keeps a transaction only on its {@code COMMIT}): with {@code again}, for work that does
   * nothing but its SQL on the connection, it then runs once more, on a new connection ({@link
   * DroppedConnections}). A commit that fails is never followed by another run: whether it took
   * effect is unknown, and the work could then be written twice.
   */
  private <T> T transaction(Jdbc.Work<T> work, boolean again) {
    if (dialect == Dialect.SQLITE && !groupCommit.heldByCurrentThread()) {
      // SQLite has one writer: one in-process queue for it, and one fsync per group of writes.
      try {
        return groupCommit.run(work);
      } catch (SQLException e) {
        throw unavailable(e);
      }
    }
    Jdbc.Work<T> committed = c -> commitOn(c, work);
    try {
      return connections.run(committed, again ? Optional.of(committed) : Optional.empty());
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  /**
   * Runs {@code work} in a transaction on {@code c} and commits it.
   *
   * @throws SQLException only from before the commit: nothing of the transaction was kept
   * @throws KeyturnException.Unavailable if the commit failed (its outcome is unknown)
   */
  private static <T> T commitOn(Connection c, Jdbc.Work<T> work) throws SQLException {
    c.setAutoCommit(false);
    T result;
    try {
      result = work.run(c);
    } catch (SQLException | RuntimeException | Error e) {
      rollbackQuietly(c, e);
      try {
        c.setAutoCommit(true);
      } catch (SQLException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
    try {
      c.commit();
      c.setAutoCommit(true);
    } catch (SQLException e) {
      throw unavailable(e);
    }
    return result;
  }

  /**
   * Each read on a pooled connection; each write in a transaction of its own, committed with an
   * audit record of the generations it wrote, if any.
   */
  private final class Pooled implements Jdbc {
    private final ThreadLocal<Map<String, Long>> writing = new ThreadLocal<>();

    @Override
    public <T> T read(Work<T> work) {
      Long outer = integrity.beginRead();
      try {
        // A read changes nothing: on a connection the server dropped, it runs again on a new one.
        return connections.run(work, Optional.of(work));
      } catch (SQLException e) {
        throw unavailable(e);
      } finally {
        integrity.endRead(outer);
      }
    }

    @Override
    public <T> T write(Work<T> work) {
      Map<String, Long> outer = writing.get();
      Map<String, Long> generations = new TreeMap<>();
      writing.set(generations);
      try {
        T out =
            transaction(c -> {
              // A run after a dropped connection notes the generations it writes itself.
              generations.clear();
              T result = work.run(c);
              seal(c, List.of(), generations);
              return result;
            });
        integrity.committed(generations);
        return out;
      } finally {
        writing.set(outer);
      }
    }

    @Override
    public void wrote(String object, long generation) {
      Map<String, Long> generations = writing.get();
      if (generations == null) {
        throw new IllegalStateException("a generation was written outside a write");
      }
      generations.put(object, generation);
    }

    @Override
    public void changed(Connection c, List<ChangeEvents.Pending> events) throws SQLException {
      ChangeEvents.write(c, dialect, events);
    }
  }

  /** One unit of work: every role on the unit's connection, audit events kept until commit. */
  private final class Unit implements UnitOfWork, Jdbc {
    private final Connection connection;
    private final List<AuditEvent> events = new ArrayList<>();
    private final List<ChangeEvents.Pending> changes = new ArrayList<>();
    private final Map<String, Long> generations = new TreeMap<>();
    private final SecretStore secrets;
    private final TokenStore tokens;
    private final RotationStore rotations;
    private final ConsumerStore consumers;
    private boolean open = true;

    Unit(Connection connection) {
      this.connection = connection;
      this.secrets = new JdbcSecretStore(this, dialect, clock, integrity);
      this.tokens = new JdbcTokenStore(this, dialect, integrity);
      this.rotations = new JdbcRotationStore(this, dialect, integrity);
      this.consumers = new JdbcConsumerStore(this, integrity);
    }

    @Override
    public void wrote(String object, long generation) {
      requireOpen();
      generations.put(object, generation);
    }

    @Override
    public <T> T read(Work<T> work) {
      return write(work);
    }

    @Override
    public <T> T write(Work<T> work) {
      requireOpen();
      try {
        return work.run(connection);
      } catch (SQLException e) {
        throw unavailable(e);
      }
    }

    @Override
    public void changed(Connection c, List<ChangeEvents.Pending> pending) {
      requireOpen();
      changes.addAll(pending);
    }

    @Override
    public SecretStore secrets() {
      return secrets;
    }

    @Override
    public TokenStore tokens() {
      return tokens;
    }

    @Override
    public RotationStore rotations() {
      return rotations;
    }

    @Override
    public ConsumerStore consumers() {
      return consumers;
    }

    @Override
    public AuditWriter audit() {
      return appended -> {
        requireOpen();
        events.addAll(List.copyOf(appended));
      };
    }

    private void requireOpen() {
      if (!open) {
        throw new IllegalStateException("this unit of work has ended");
      }
    }
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  static KeyturnException.Unavailable unavailable(SQLException e) {
    return new KeyturnException.Unavailable("the store failed: " + e.getMessage(), e);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static Path sqlitePath(String jdbcUrl) {
    String rest = jdbcUrl.substring("jdbc:sqlite:".length());
    int query = rest.indexOf('?');
    return Path.of(query >= 0 ? rest.substring(0, query) : rest);
  }

  private static void prepareSqliteFile(String jdbcUrl) {
    Path db = sqlitePath(jdbcUrl);
    try {
      if (!Files.exists(db)) {
        Files.createFile(
            db, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      }
    } catch (IOException e) {
      throw new KeyturnException.Unavailable("cannot create the database file " + db, e);
    }
  }

  private static void tightenSqliteSideFiles(String jdbcUrl) {
    Path db = sqlitePath(jdbcUrl);
    for (String suffix : new String[] {"", "-wal", "-shm"}) {
      Path file = db.resolveSibling(db.getFileName() + suffix);
      try {
        if (Files.exists(file)) {
          Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
      } catch (IOException e) {
        throw new KeyturnException.Unavailable("cannot set mode 600 on " + file, e);
      }
    }
  }
}
