package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Tokens;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.Aad;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.core.spi.AuditRecord;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.testing.FixedClock;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store written before integrity protection (values under id-only associated data, rows without
 * MACs) is migrated at its first protected start: every value stays readable, no row is left under
 * the old associated data or without a MAC, one {@code integrity.migrate} record says so, and a
 * second start changes nothing. (h)
 */
class IntegrityMigrationTest {
  private static final Instant T0 = Instant.parse("2026-11-28T00:00:00Z");
  private final SecureRandom random = new SecureRandom();
  private final RootKey rootKey = RootKey.generate(random);
  private final FixedClock clock = new FixedClock(T0);
  @TempDir Path dir;

  private String url() {
    return "jdbc:sqlite:" + dir.resolve("keyturn.db");
  }

  @Test
  void oldFormatStore_firstStartMigratesEverythingOnceAndKeepsValuesReadable() throws Exception {
    String token = Tokens.newToken(random);
    try (JdbcStore old = JdbcStore.open(url(), clock)) {
      // As the code before: rows without MACs, values under the id-only associated data.
      try (Connection c = DriverManager.getConnection(url())) {
        LegacyRows legacy = new LegacyRows(rootKey);
        legacy.insertSecret(c, 1, "app/prod/DB_PASSWORD", "prod-old", "prod-current");
        legacy.insertSecret(c, 2, "app/dev/DB_PASSWORD", "dev-current");
      }
      old.tokens().create(reader(token));
      old.rotations()
          .putRule(
              RotationRule.builder(SecretName.of("app/prod/DB_PASSWORD")).owner("o").build(),
              Optional.empty());
    }

    Started first = start();
    assertThat(read(first, "app/prod/DB_PASSWORD")).isEqualTo("prod-current");
    assertThat(read(first, "app/dev/DB_PASSWORD")).isEqualTo("dev-current");
    assertThat(
            first
                .service
                .read(SecretName.of("app/prod/DB_PASSWORD"), Selector.version(1), true)
                .plaintext()
                .revealUtf8())
        .isEqualTo("prod-old");
    assertThat(first.store.tokens().findByHash(Tokens.hash(token))).isPresent();
    assertThat(first.store.rotations().rule(SecretName.of("app/prod/DB_PASSWORD"))).isPresent();
    first.close();

    assertNoRowUnderTheOldAssociatedData();
    assertNoRowWithoutMac();
    Started second = start();
    assertThat(read(second, "app/prod/DB_PASSWORD")).isEqualTo("prod-current");
    List<AuditRecord> migrations =
        second.audit.query(
            new AuditQuery(
                Optional.empty(),
                Optional.empty(),
                Optional.of("integrity.migrate"),
                Optional.empty(),
                10));
    assertThat(migrations).hasSize(1);
    assertThat(migrations.get(0).event().detail())
        .contains("2 secrets", "3 versions (3 values re-encrypted", "1 tokens", "1 rules")
        .doesNotContain("prod-");
    assertThat(new AuditVerifier(second.chain).verify(second.audit, Optional.empty()).ok())
        .isTrue();
    second.close();
  }

  @Test
  void metadataKeyDeletedAfterMigration_startIsRefused() throws Exception {
    start().close();
    try (Connection c = DriverManager.getConnection(url())) {
      c.createStatement().executeUpdate("DELETE FROM settings WHERE key = 'metadata-key'");
    }

    assertThatThrownBy(this::start)
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining("metadata key");
  }

  @Test
  void migratedRowsNulledAfterwards_areNotBlessedAgain() throws Exception {
    Started first = start();
    first.store.tokens().create(reader(Tokens.newToken(random)));
    first.close();
    try (Connection c = DriverManager.getConnection(url())) {
      c.createStatement().executeUpdate("UPDATE tokens SET mac = NULL, grants = 'admin:*'");
    }

    Started again = start();

    assertThatThrownBy(() -> again.store.tokens().list())
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
    again.close();
  }

  private void assertNoRowUnderTheOldAssociatedData() throws Exception {
    Envelope envelope = new Envelope(rootKey, random);
    try (Connection c = DriverManager.getConnection(url());
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT s.id, s.name, s.data_key, v.number, v.ciphertext FROM secrets s"
                    + " JOIN versions v ON v.secret_id = s.id");
        ResultSet rs = ps.executeQuery()) {
      int rows = 0;
      while (rs.next()) {
        long id = rs.getLong(1);
        String name = rs.getString(2);
        byte[] wrapped = rs.getBytes(3);
        int number = rs.getInt(4);
        byte[] ciphertext = rs.getBytes(5);
        assertThatThrownBy(() -> envelope.rebindDataKey(wrapped, id, name, 1))
            .as("data key of %s still under the id-only AAD", name)
            .isInstanceOf(KeyturnException.CryptoFailure.class);
        SecretKey key = envelope.unwrapDataKey(wrapped, id, name, 1);
        assertThatThrownBy(() -> envelope.openValue(key, ciphertext, Aad.legacyValue(id, number)))
            .isInstanceOf(KeyturnException.CryptoFailure.class);
        assertThat(envelope.openValue(key, ciphertext, Aad.forValue(id, name, number)))
            .isNotEmpty();
        rows++;
      }
      assertThat(rows).isEqualTo(3);
    }
  }

  private void assertNoRowWithoutMac() throws Exception {
    try (Connection c = DriverManager.getConnection(url())) {
      for (String table : List.of("secrets", "versions", "tokens", "rules")) {
        try (ResultSet rs =
            c.createStatement()
                .executeQuery("SELECT COUNT(*) FROM " + table + " WHERE mac IS NULL")) {
          rs.next();
          assertThat(rs.getLong(1)).as(table).isZero();
        }
      }
    }
  }

  private String read(Started s, String name) {
    return s.service.read(SecretName.of(name), Selector.current(), false).plaintext().revealUtf8();
  }

  private TokenRecord reader(String token) {
    return new TokenRecord(
        Tokens.newId(random),
        "reader",
        Tokens.hash(token),
        List.of("read:app/dev/*"),
        T0,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        TokenRecord.CreatorSource.RECORDED);
  }

  private Started start() {
    JdbcStore store = JdbcStore.open(url(), clock);
    AuditChain chain = new AuditChain(rootKey);
    AuditLog audit = store.openAuditLog(chain);
    Envelope envelope = new Envelope(rootKey, random);
    try {
      store.protect(envelope);
    } catch (RuntimeException e) {
      audit.close();
      store.close();
      throw e;
    }
    return new Started(store, audit, chain, new SecretService(store, envelope, clock));
  }

  private record Started(JdbcStore store, AuditLog audit, AuditChain chain, SecretService service)
      implements AutoCloseable {
    @Override
    public void close() {
      audit.close();
      store.close();
    }
  }
}
