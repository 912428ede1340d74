package dev.keyturn.store;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.GenerationLedger;
import dev.keyturn.core.crypto.Aad;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.integrity.RowMacs;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.SettingStore;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.core.spi.TokenRecord;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.crypto.SecretKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a store's integrity protection at start ({@link JdbcStore#protect}): the metadata key, the
 * generation ledger from the verified audit chain, and, at the first start after the upgrade, the
 * migration of every row written before.
 *
 * <p>The migration runs once per store, in one transaction (so a crash leaves the store as it was,
 * and the next start runs it again): it re-encrypts every data key and value from the id-only
 * associated data ({@code keyturn/*\/v1}) to the name-bound one ({@code v2}), gives every secret,
 * version, token and rule row its MAC and generation 1, and appends one {@code integrity.migrate}
 * record with the counts. At that moment the database file is trusted as it stands. Whether it ran
 * is told by that record in the audit table, never by a setting alone, so deleting the metadata key
 * afterwards does not make a later start bless edited rows: it stops the start instead.
 */
final class IntegrityMigration {
  static final String METADATA_KEY_SETTING = "metadata-key";
  private static final Logger log = LoggerFactory.getLogger(IntegrityMigration.class);

  /** The record that says rule MACs cover the due dates of every rule row. */
  static final String RULES_MIGRATE_ACTION = "integrity.migrate-rules";

  private static final long MIGRATION_LOCK = 0x6b74696e74656772L; // "ktintegr"

  private final Dialect dialect;
  private final Clock clock;
  private final AuditChain chain;
  private final SettingStore settings;
  private final Jdbc pooled;

  IntegrityMigration(
      Dialect dialect, Clock clock, AuditChain chain, SettingStore settings, Jdbc pooled) {
    this.dialect = dialect;
    this.clock = clock;
    this.chain = chain;
    this.settings = settings;
    this.pooled = pooled;
  }

  void protect(Envelope envelope, AuditLog audit, Integrity integrity) {
    GenerationLedger ledger = Integrity.ledgerOf(chain, audit);
    if (ledger.problem().isPresent()) {
      // Protected rows are only as good as the generations the chain records: past a break, an
      // older row put back (a revoked token) would pass. Before the migration, the rows may have
      // been edited and must not be blessed. Either way the store does not open.
      String why = Integrity.brokenChain(ledger.problem().get());
      log.error("the store does not open: {}", why);
      throw new KeyturnException.IntegrityFailure("audit log", why);
    }
    boolean migrated = ledger.migratedAt().isPresent() || migrateRecordExists();
    byte[] metadataKey = metadataKey(envelope, migrated);
    RowMacs macs;
    try {
      macs = new RowMacs(metadataKey);
    } finally {
      Arrays.fill(metadataKey, (byte) 0);
    }
    if (!migrated) {
      pooled.write(c -> migrate(c, envelope, macs));
    }
    integrity.activate(macs, ledger, audit);
    integrity.tail();
    integrity.checkSound();
    protectRuleDueDates(macs, audit, integrity);
  }

  private boolean migrateRecordExists() {
    return actionRecorded(GenerationLedger.MIGRATE_ACTION);
  }

  private boolean actionRecorded(String action) {
    return pooled.read(c -> {
      try (PreparedStatement ps =
          c.prepareStatement("SELECT COUNT(*) FROM audit WHERE action = ?")) {
        ps.setString(1, action);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1) > 0;
        }
      }
    });
  }

  /** The metadata key: unwrapped from the store, or made and stored at the first start. */
  private byte[] metadataKey(Envelope envelope, boolean migrated) {
    Optional<String> stored = settings.setting(METADATA_KEY_SETTING);
    if (stored.isEmpty()) {
      if (migrated) {
        throw new KeyturnException.IntegrityFailure(
            "metadata key",
            "is missing, but the audit log says the store's rows were protected with it: the"
                + " database was edited; restore it from a backup");
      }
      byte[] fresh = new byte[RowMacs.KEY_LENGTH];
      new SecureRandom().nextBytes(fresh);
      String wrapped = Base64.getEncoder().encodeToString(envelope.wrapMetadataKey(fresh));
      Arrays.fill(fresh, (byte) 0);
      // Two nodes starting at once agree on the one stored first.
      stored = Optional.of(settings.settingIfAbsent(METADATA_KEY_SETTING, wrapped));
    }
    try {
      return envelope.unwrapMetadataKey(Base64.getDecoder().decode(stored.get()));
    } catch (KeyturnException.CryptoFailure | IllegalArgumentException e) {
      throw new KeyturnException.IntegrityFailure(
          "metadata key", "does not open under root key " + envelope.rootKeyId(), e);
    }
  }

  private Void migrate(Connection c, Envelope envelope, RowMacs macs) throws SQLException {
    if (dialect == Dialect.POSTGRESQL) {
      try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        lock.setLong(1, MIGRATION_LOCK);
        lock.execute();
      }
      try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT COUNT(*) FROM audit WHERE action = '"
                      + GenerationLedger.MIGRATE_ACTION
                      + "'");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getLong(1) > 0) {
          return null; // another node migrated while this one waited for the lock
        }
      }
    }
    int[] counts = new int[5]; // secrets, versions, re-encrypted, tokens, rules
    migrateSecrets(c, envelope, macs, counts);
    migrateTokens(c, macs, counts);
    migrateRules(c, macs, counts);
    String detail =
        "protected "
            + counts[0]
            + " secrets, "
            + counts[1]
            + " versions ("
            + counts[2]
            + " values re-encrypted with name-bound associated data), "
            + counts[3]
            + " tokens, "
            + counts[4]
            + " rules at generation 1";
    JdbcAuditLog.chainAndInsert(
        c,
        dialect,
        chain,
        List.of(
            new AuditEvent(
                clock.instant(),
                "-",
                "store",
                GenerationLedger.MIGRATE_ACTION,
                Optional.empty(),
                Optional.empty(),
                "ok",
                detail)));
    log.info("integrity migration: {}", detail);
    return null;
  }

  private void migrateSecrets(Connection c, Envelope envelope, RowMacs macs, int[] counts)
      throws SQLException {
    List<JdbcSecretStore.SecretRow> rows = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, name, data_key, destroyed, created_at, updated_at, live, generation,"
                    + " mac FROM secrets ORDER BY id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(JdbcSecretStore.SecretRow.read(rs));
      }
    }
    for (JdbcSecretStore.SecretRow row : rows) {
      byte[] dataKey = row.dataKey();
      if (dataKey != null) {
        dataKey = reencrypt(c, envelope, row, counts);
      }
      List<byte[]> versionMacs = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement("UPDATE versions SET mac = ? WHERE secret_id = ? AND number = ?")) {
        for (JdbcSecretStore.VersionRow v :
            JdbcSecretStore.loadVersions(c, List.of(row.id())).getOrDefault(row.id(), List.of())) {
          byte[] mac = JdbcSecretStore.versionMac(macs, row.id(), row.name(), v);
          versionMacs.add(mac);
          ps.setBytes(1, mac);
          ps.setLong(2, row.id());
          ps.setInt(3, v.version().number());
          ps.executeUpdate();
          counts[1]++;
        }
      }
      JdbcSecretStore.SecretRow now =
          new JdbcSecretStore.SecretRow(
              row.id(),
              row.name(),
              dataKey,
              row.destroyed(),
              row.createdAt(),
              row.updatedAt(),
              row.live(),
              1,
              null);
      try (PreparedStatement ps =
          c.prepareStatement("UPDATE secrets SET generation = 1, mac = ? WHERE id = ?")) {
        ps.setBytes(1, JdbcSecretStore.secretMac(macs, now, 1, versionMacs));
        ps.setLong(2, row.id());
        ps.executeUpdate();
      }
      counts[0]++;
    }
  }

  /** Rebinds a secret's data key and values to its name; returns the new wrapped data key. */
  private static byte[] reencrypt(
      Connection c, Envelope envelope, JdbcSecretStore.SecretRow row, int[] counts)
      throws SQLException {
    String label = "secret " + row.name();
    byte[] wrapped;
    SecretKey key;
    try {
      wrapped = envelope.rebindDataKey(row.dataKey(), row.id(), row.name(), StoredSecret.DATA_KEY);
      key = envelope.unwrapDataKey(wrapped, row.id(), row.name(), StoredSecret.DATA_KEY);
    } catch (KeyturnException.CryptoFailure e) {
      throw new KeyturnException.IntegrityFailure(
          label, "its data key does not open as written before the upgrade", e);
    }
    List<Object[]> values = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT number, ciphertext FROM versions WHERE secret_id = ?"
                + " AND ciphertext IS NOT NULL ORDER BY number")) {
      ps.setLong(1, row.id());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          values.add(new Object[] {rs.getInt(1), rs.getBytes(2)});
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE versions SET ciphertext = ? WHERE secret_id = ? AND number = ?")) {
      for (Object[] value : values) {
        int number = (Integer) value[0];
        byte[] plaintext;
        try {
          plaintext = envelope.openValue(key, (byte[]) value[1], Aad.legacyValue(row.id(), number));
        } catch (KeyturnException.CryptoFailure e) {
          throw new KeyturnException.IntegrityFailure(
              label + "#" + number, "its value does not open as written before the upgrade", e);
        }
        try {
          ps.setBytes(
              1,
              envelope.sealValue(
                  key,
                  StoredSecret.DATA_KEY,
                  plaintext,
                  Aad.forValue(row.id(), row.name(), number)));
        } finally {
          Arrays.fill(plaintext, (byte) 0);
        }
        ps.setLong(2, row.id());
        ps.setInt(3, number);
        ps.executeUpdate();
        counts[2]++;
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE secrets SET data_key = ? WHERE id = ?")) {
      ps.setBytes(1, wrapped);
      ps.setLong(2, row.id());
      ps.executeUpdate();
    }
    return wrapped;
  }

  private static void migrateTokens(Connection c, RowMacs macs, int[] counts) throws SQLException {
    List<TokenRecord> tokens = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, hash, name, grants, created_at, expires_at, revoked_at, creator,"
                    + " creator_source, lifetime_ms FROM tokens");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String grants = rs.getString(4);
        tokens.add(
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
                millis(rs, 10).map(l -> java.time.Duration.ofMillis(l.toEpochMilli()))));
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE tokens SET generation = 1, mac = ? WHERE id = ?")) {
      for (TokenRecord t : tokens) {
        ps.setBytes(1, JdbcTokenStore.mac(macs, t, 1));
        ps.setString(2, t.id());
        ps.executeUpdate();
        counts[3]++;
      }
    }
  }

  private static void migrateRules(Connection c, RowMacs macs, int[] counts) throws SQLException {
    for (RuleRow rule : ruleRows(c)) {
      writeRuleMac(c, macs, rule, 1);
      counts[4]++;
    }
  }

  /** A rule row's fields that its MAC covers. */
  private record RuleRow(
      String secret,
      String body,
      Optional<Instant> nextDue,
      Optional<Instant> startAt,
      long generation,
      byte[] mac) {}

  private static List<RuleRow> ruleRows(Connection c) throws SQLException {
    List<RuleRow> rules = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT secret, body, next_due, start_at, generation, mac FROM rules");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rules.add(
            new RuleRow(
                rs.getString(1),
                rs.getString(2),
                millis(rs, 3),
                millis(rs, 4),
                rs.getLong(5),
                rs.getBytes(6)));
      }
    }
    return rules;
  }

  private static void writeRuleMac(Connection c, RowMacs macs, RuleRow rule, long generation)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("UPDATE rules SET generation = ?, mac = ? WHERE secret = ?")) {
      ps.setLong(1, generation);
      ps.setBytes(
          2, macs.rule(rule.secret(), rule.body(), rule.nextDue(), rule.startAt(), generation));
      ps.setString(3, rule.secret());
      ps.executeUpdate();
    }
  }

  /**
   * Once per store protected before rule MACs covered the due dates: every rule row whose MAC
   * (which covered its document only) and generation check out gets a MAC over its due dates too,
   * and the next generation, so that from then on an edited due date is caught. At that moment the
   * due dates are trusted as they stand, as the first protection trusted every row. A row that does
   * not check out stops the start. Marked done by one {@code integrity.migrate-rules} record.
   */
  private void protectRuleDueDates(RowMacs macs, AuditLog audit, Integrity integrity) {
    if (actionRecorded(RULES_MIGRATE_ACTION)) {
      return;
    }
    int upgraded = upgradeRuleMacs(macs, integrity);
    audit.append(
        List.of(
            new AuditEvent(
                clock.instant(),
                "-",
                "store",
                RULES_MIGRATE_ACTION,
                Optional.empty(),
                Optional.empty(),
                "ok",
                "rule MACs cover the due dates: " + upgraded + " rows upgraded")));
  }

  /**
   * Gives every rule row whose MAC does not cover its due dates yet one that does (see {@link
   * #protectRuleDueDates}), in one transaction; returns how many.
   *
   * @throws KeyturnException.IntegrityFailure if such a row fails its old MAC or generation
   */
  int upgradeRuleMacs(RowMacs macs, Integrity integrity) {
    // Counted inside the write: after a dropped connection it runs again, from the start.
    return pooled.write(c -> {
      int upgraded = 0;
      for (RuleRow rule : ruleRows(c)) {
        byte[] current =
            macs.rule(
                rule.secret(), rule.body(), rule.nextDue(), rule.startAt(), rule.generation());
        if (RowMacs.same(current, rule.mac())) {
          continue; // protected first by this version: its MAC covers the due dates already
        }
        String label = "rule of " + rule.secret();
        String object = dev.keyturn.core.integrity.Generations.rule(rule.secret());
        integrity.checkMac(
            label,
            macs.rule(rule.secret(), rule.body(), rule.generation()),
            rule.mac(),
            Optional.of(rule.secret()));
        integrity.checkGeneration(label, object, rule.generation(), Optional.of(rule.secret()));
        long generation = integrity.next(object, rule.generation());
        writeRuleMac(c, macs, rule, generation);
        pooled.wrote(object, generation);
        upgraded++;
      }
      return upgraded;
    });
  }

  private static Optional<Instant> millis(ResultSet rs, int index) throws SQLException {
    long value = rs.getLong(index);
    return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(value));
  }
}
