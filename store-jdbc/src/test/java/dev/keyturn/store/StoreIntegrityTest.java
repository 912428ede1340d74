package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.HookSpec;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Tokens;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.core.spi.AuditRecord;
import dev.keyturn.core.spi.Store;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.FakeTarget;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.RecordingHook;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Someone with write access to the database edits, swaps or puts back rows that decide access:
 * every read that relies on such a row fails with an integrity error (logged, audited as {@code
 * integrity.fail}), never a value or a silent default. Run on SQLite and PostgreSQL (subclasses).
 */
abstract class StoreIntegrityTest {
  static final Instant T0 = Instant.parse("2026-11-28T00:00:00Z");
  static final SecretName PROD = SecretName.of("app/prod/DB_PASSWORD");
  static final SecretName DEV = SecretName.of("app/dev/DB_PASSWORD");

  final SecureRandom random = new SecureRandom();
  final RootKey rootKey = RootKey.generate(random);
  final FixedClock clock = new FixedClock(T0);
  JdbcStore store;
  AuditLog audit;
  AuditChain chain;
  SecretService service;

  /** A JDBC URL of a new, empty database. */
  abstract String newUrl();

  abstract String url();

  @BeforeEach
  void start() {
    newUrl();
    open();
  }

  @AfterEach
  void stop() {
    close();
  }

  void open() {
    store = JdbcStore.open(url(), clock);
    chain = new AuditChain(rootKey);
    audit = store.openAuditLog(chain);
    Envelope envelope = new Envelope(rootKey, random);
    try {
      store.protect(envelope);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    service = new SecretService(store, envelope, clock);
  }

  void close() {
    if (store != null) {
      audit.close();
      store.close();
      store = null;
    }
  }

  void restart() {
    close();
    open();
  }

  // (a)
  @Test
  void namesSwapped_readFailsWithIntegrityErrorAndNeverServesTheOtherValue() throws Exception {
    put(PROD, "prod-canary-0f3e", Duration.ZERO);
    put(DEV, "dev-canary-77a1", Duration.ZERO);

    sql("UPDATE secrets SET name = 'swap/tmp' WHERE name = ?", PROD.value());
    sql("UPDATE secrets SET name = ? WHERE name = ?", PROD.value(), DEV.value());
    sql("UPDATE secrets SET name = ? WHERE name = 'swap/tmp'", DEV.value());

    assertThatThrownBy(() -> service.read(DEV, Selector.current(), false))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining(DEV.value())
        .hasMessageNotContaining("canary");
    assertThatThrownBy(() -> service.read(PROD, Selector.current(), false))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
    assertFailureAudited(DEV.value());
  }

  // (b)
  @Test
  void retiredVersionEditedBackToCurrent_readFails() throws Exception {
    put(PROD, "old-value", Duration.ZERO);
    put(PROD, "new-value", Duration.ZERO);

    sql("UPDATE versions SET stage = 'retired' WHERE number = 2");
    sql("UPDATE versions SET stage = 'current' WHERE number = 1");

    assertThatThrownBy(() -> service.read(PROD, Selector.current(), false))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining(PROD.value() + "#1");
    assertFailureAudited(PROD.value());
  }

  // (c)
  @Test
  void acceptUntilStretchedByACentury_readFails() throws Exception {
    put(PROD, "old-value", Duration.ZERO);
    put(PROD, "new-value", Duration.ofHours(1));

    sql("UPDATE versions SET accept_until = accept_until + 3155760000000 WHERE number = 1");

    assertThatThrownBy(() -> service.keyring(PROD))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
    assertThatThrownBy(() -> service.read(PROD, Selector.stage(Stage.PREVIOUS), false))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  // (d)
  @Test
  void readTokenEditedIntoAdminWithoutExpiry_isRefused() throws Exception {
    String token = Tokens.newToken(random);
    TokenRecord reader = token("reader", token, List.of("read:app/dev/*"));
    store.inTransaction(work -> {
      work.tokens().create(reader);
      return null;
    });

    sql("UPDATE tokens SET grants = 'admin:*', expires_at = NULL WHERE id = ?", reader.id());

    assertThatThrownBy(() -> store.tokens().findByHash(Tokens.hash(token)))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining(reader.id());
    assertThatThrownBy(() -> store.tokens().list())
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
    assertFailureAudited(null);
  }

  @Test
  void renewedTokenRowWithItsLifetimeStretched_isRefused() throws Exception {
    String token = Tokens.newToken(random);
    TokenRecord reader = token("reader", token, List.of("read:app/dev/*"));
    store.inTransaction(work -> {
      work.tokens().create(reader);
      return null;
    });
    store.tokens().renew(reader.id(), T0.plus(Duration.ofDays(20)));
    assertThat(store.tokens().findByHash(Tokens.hash(token)).orElseThrow().expiresAt())
        .contains(T0.plus(Duration.ofDays(50)));

    sql("UPDATE tokens SET lifetime_ms = ? WHERE id = ?", 3650L * 86_400_000L, reader.id());

    assertThatThrownBy(() -> store.tokens().findByHash(Tokens.hash(token)))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining(reader.id());
    sql("UPDATE tokens SET lifetime_ms = NULL WHERE id = ?", reader.id());
    assertThatThrownBy(() -> store.tokens().findByHash(Tokens.hash(token)))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  // (e)
  @Test
  void revokedTokenRowReplacedByItsOlderRow_isRefused() throws Exception {
    String token = Tokens.newToken(random);
    TokenRecord reader = token("reader", token, List.of("read:app/dev/*"));
    store.inTransaction(work -> {
      work.tokens().create(reader);
      return null;
    });
    Map<String, Object> before = row("SELECT * FROM tokens WHERE id = ?", reader.id());

    store.inTransaction(work -> work.tokens().revoke(reader.id(), T0.plusSeconds(5)));
    restore("tokens", "id", before);

    assertThatThrownBy(() -> store.tokens().findByHash(Tokens.hash(token)))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining("generation");
  }

  // (e), across a restart: the ledger is rebuilt from the audit chain
  @Test
  void revokedTokenReplayedWhileTheServerIsDown_isRefusedAfterStart() throws Exception {
    String token = Tokens.newToken(random);
    TokenRecord reader = token("reader", token, List.of("read:app/dev/*"));
    store.inTransaction(work -> {
      work.tokens().create(reader);
      return null;
    });
    Map<String, Object> before = row("SELECT * FROM tokens WHERE id = ?", reader.id());
    store.inTransaction(work -> work.tokens().revoke(reader.id(), T0.plusSeconds(5)));
    close();

    restore("tokens", "id", before);
    open();

    assertThatThrownBy(() -> store.tokens().findByHash(Tokens.hash(token)))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining("generation");
  }

  // (e), with the audit record that carries the revocation's generation edited (one character)
  @Test
  void revokedTokenReplayedAndItsRevokeRecordEdited_startIsRefused() throws Exception {
    String token = Tokens.newToken(random);
    TokenRecord reader = revokedAndReplayed(token);
    long revokeSeq = ((Number) row("SELECT MAX(seq) AS head FROM audit").get("head")).longValue();
    editDetail(revokeSeq);

    assertStartRefusedAt(revokeSeq);
    assertRevokedTokenNeverAuthenticates(token, reader);
  }

  // (e), with an early record edited: a ledger emptied from there on would let any row back
  @Test
  void revokedTokenReplayedAndAnEarlyRecordEdited_startIsRefused() throws Exception {
    String token = Tokens.newToken(random);
    TokenRecord reader = revokedAndReplayed(token);
    editDetail(1);

    assertStartRefusedAt(1);
    assertRevokedTokenNeverAuthenticates(token, reader);
  }

  /** Creates and revokes a token, stops, and puts back its row from before the revocation. */
  private TokenRecord revokedAndReplayed(String token) throws Exception {
    TokenRecord reader = token("reader", token, List.of("read:app/prod/*"));
    store.inTransaction(work -> {
      work.tokens().create(reader);
      return null;
    });
    Map<String, Object> before = row("SELECT * FROM tokens WHERE id = ?", reader.id());
    store.inTransaction(work -> work.tokens().revoke(reader.id(), T0.plusSeconds(5)));
    close();
    restore("tokens", "id", before);
    return reader;
  }

  /** Changes one character of an audit record's detail. */
  void editDetail(long seq) throws SQLException {
    String detail = (String) row("SELECT detail FROM audit WHERE seq = ?", seq).get("detail");
    String edited =
        detail.isEmpty() ? "x" : (detail.charAt(0) == 'x' ? "y" : "x") + detail.substring(1);
    sql("UPDATE audit SET detail = ? WHERE seq = ?", edited, seq);
  }

  private void assertStartRefusedAt(long seq) {
    assertThatThrownBy(this::open)
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining("audit record " + seq + " ")
        .hasMessageContaining("keyturn audit verify")
        .hasMessageContaining("docs/security.md");
  }

  /** Whatever the start did, the replayed token is never found valid. */
  private void assertRevokedTokenNeverAuthenticates(String token, TokenRecord reader) {
    if (store == null) {
      return; // the start was refused: nothing serves the token
    }
    assertThatThrownBy(() -> store.tokens().findByHash(Tokens.hash(token)))
        .as("token %s", reader.id())
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  // (f)
  @Test
  void emergencyRotationUndoneByReplayingOlderRows_readFails() throws Exception {
    put(PROD, "compromised-value", Duration.ZERO);
    Map<String, Object> secretBefore = row("SELECT * FROM secrets WHERE name = ?", PROD.value());
    Map<String, Object> versionBefore = row("SELECT * FROM versions WHERE number = 1");
    put(PROD, "fresh-value", Duration.ZERO); // the emergency rotation: v1 retired at once

    sql("DELETE FROM versions WHERE number = 2");
    restore("versions", "number", versionBefore);
    restore("secrets", "id", secretBefore);

    assertThatThrownBy(() -> service.read(PROD, Selector.current(), false))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining("generation")
        .hasMessageNotContaining("compromised");
  }

  // (g)
  @Test
  void ruleDocumentEdited_readFails() throws Exception {
    RotationRule rule =
        RotationRule.builder(PROD)
            .owner("team-a")
            .targetType("postgresql")
            .target(Map.of("host", "db.internal", "username", "app"))
            .build();
    store.inTransaction(work -> {
      work.rotations().putRule(rule, Optional.empty());
      return null;
    });
    assertThat(store.rotations().rule(PROD)).isPresent();

    sql("UPDATE rules SET body = replace(body, 'db.internal', 'evil.example')");

    assertThatThrownBy(() -> store.rotations().rule(PROD))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining("rule of " + PROD.value());
    assertThatThrownBy(() -> store.rotations().rules("", 10))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  @Test
  void ruleDocumentEditedWhileARotationRuns_endsItFailedRunningNothingTheRuleNames()
      throws Exception {
    put(PROD, "initial", Duration.ZERO);
    RotationRule rule =
        RotationRule.builder(PROD)
            .owner("team-a")
            .targetType("fake")
            .hooks(
                List.of(
                    new HookSpec(HookSpec.Phase.ON_FAILURE, "rec", false, Map.of("name", "page"))))
            .build();
    store.inTransaction(work -> {
      work.rotations().putRule(rule, Optional.empty());
      return null;
    });
    FakeTarget target = new FakeTarget(Optional.of("initial")).failSet(1, false);
    RecordingHook hook = new RecordingHook();
    List<Rotation> ended = new ArrayList<>();
    RotationEngine engine =
        new RotationEngine(
            service,
            store.rotations(),
            Map.of("fake", target),
            Map.of("rec", hook),
            audit,
            clock,
            random,
            "node-a",
            ended::add);
    String id = engine.start(PROD, Optional.empty(), false, "tok").id();
    assertThat(engine.runDue(id).state()).as("waits to set again").isEqualTo(RotationState.SET);
    List<String> before = target.calls();

    sql("UPDATE rules SET body = replace(body, 'team-a', 'team-b')");
    clock.advance(Duration.ofSeconds(1));
    Rotation r = engine.runDue(id);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow())
        .contains("the rotation rule failed its integrity check")
        .contains("rule of " + PROD.value());
    assertThat(target.calls()).as("no set, test or rollback").isEqualTo(before);
    assertThat(hook.runs()).as("no on-failure hook").isEmpty();
    assertThat(ended).extracting(Rotation::state).containsExactly(RotationState.FAILED);
    assertThat(store.rotations().rotation(id).orElseThrow().state())
        .isEqualTo(RotationState.FAILED);
    assertThat(store.rotations().active(PROD)).as("a new rotation is not blocked").isEmpty();
    assertThat(
            audit.query(
                new AuditQuery(
                    Optional.empty(),
                    Optional.of(PROD.value()),
                    Optional.of("rotation.failed"),
                    Optional.empty(),
                    10)))
        .singleElement()
        .satisfies(rec -> assertThat(rec.event().detail()).contains("rule of " + PROD.value()));
    assertFailureAudited(PROD.value());
    clock.advance(Duration.ofMinutes(1));
    assertThat(engine.runDue(id)).as("ended, not tried again").isEqualTo(r);
  }

  @Test
  void ruleDueDateEditedToNow_dueQueryFailsAndStartsNothing() throws Exception {
    RotationRule rule = RotationRule.builder(PROD).owner("team-a").build();
    store.inTransaction(work -> {
      work.rotations().putRule(rule, Optional.of(T0.plus(Duration.ofDays(30))));
      return null;
    });
    assertThat(store.rotations().dueRules(T0, 10)).isEmpty();

    sql("UPDATE rules SET next_due = ?, start_at = ?", T0.toEpochMilli(), T0.toEpochMilli());

    assertThatThrownBy(() -> store.rotations().dueRules(T0, 10))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining("rule of " + PROD.value());
  }

  @Test
  void ruleDueDateMovedAway_readFails() throws Exception {
    RotationRule rule = RotationRule.builder(PROD).owner("team-a").build();
    store.inTransaction(work -> {
      work.rotations().putRule(rule, Optional.of(T0.plus(Duration.ofDays(30))));
      return null;
    });

    sql("UPDATE rules SET next_due = NULL, start_at = NULL");

    assertThatThrownBy(() -> store.rotations().rule(PROD))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
    assertThatThrownBy(() -> store.rotations().rules("", 10))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  @Test
  void setNextDue_afterRestart_readsBackCheckedAndDue() throws Exception {
    RotationRule rule = RotationRule.builder(PROD).owner("team-a").build();
    store.inTransaction(work -> {
      work.rotations().putRule(rule, Optional.of(T0.plus(Duration.ofDays(30))));
      return null;
    });

    store.inTransaction(work -> {
      work.rotations().setNextDue(PROD, Optional.of(T0.minusSeconds(5)));
      return null;
    });
    store.rotations().setStartAt(PROD, Optional.of(T0.minusSeconds(1)));
    restart();

    assertThat(store.rotations().rule(PROD).orElseThrow().nextDue()).contains(T0.minusSeconds(5));
    assertThat(store.rotations().dueRules(T0, 10))
        .singleElement()
        .satisfies(e -> assertThat(e.startAt()).contains(T0.minusSeconds(1)));
  }

  @Test
  void setNextDue_onEditedRuleRow_failsAndDoesNotBlessTheEdit() throws Exception {
    RotationRule rule =
        RotationRule.builder(PROD)
            .owner("team-a")
            .targetType("postgresql")
            .target(Map.of("host", "db.internal", "username", "app"))
            .build();
    store.inTransaction(work -> {
      work.rotations().putRule(rule, Optional.of(T0.plus(Duration.ofDays(30))));
      return null;
    });
    sql("UPDATE rules SET body = replace(body, 'db.internal', 'evil.example')");

    assertThatThrownBy(
            () -> store.rotations().setNextDue(PROD, Optional.of(T0.plus(Duration.ofDays(60)))))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);

    assertThatThrownBy(() -> store.rotations().rule(PROD))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  @Test
  void ruleRowProtectedBeforeDueDates_upgradeCoversThemAndTheOldMacNoLongerPasses()
      throws Exception {
    RotationRule rule = RotationRule.builder(PROD).owner("team-a").build();
    store.inTransaction(work -> {
      work.rotations().putRule(rule, Optional.of(T0.plus(Duration.ofDays(30))));
      return null;
    });
    Map<String, Object> row = row("SELECT * FROM rules WHERE secret = ?", PROD.value());
    long generation = ((Number) row.get("generation")).longValue();
    byte[] oldMac =
        store.integrity().macs().rule(PROD.value(), (String) row.get("body"), generation);
    sql("UPDATE rules SET mac = ?", oldMac);
    assertThatThrownBy(() -> store.rotations().rule(PROD))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);

    int upgraded =
        store.integrityMigration().upgradeRuleMacs(store.integrity().macs(), store.integrity());
    restart();

    assertThat(upgraded).isEqualTo(1);
    assertThat(store.rotations().rule(PROD).orElseThrow().nextDue())
        .contains(T0.plus(Duration.ofDays(30)));
    sql("UPDATE rules SET next_due = ?, start_at = ?", T0.toEpochMilli(), T0.toEpochMilli());
    assertThatThrownBy(() -> store.rotations().dueRules(T0, 10))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  @Test
  void ruleRowWithOldMacAndEditedDocument_upgradeRefusesIt() throws Exception {
    RotationRule rule = RotationRule.builder(PROD).owner("team-a").build();
    store.inTransaction(work -> {
      work.rotations().putRule(rule, Optional.of(T0.plus(Duration.ofDays(30))));
      return null;
    });
    Map<String, Object> row = row("SELECT * FROM rules WHERE secret = ?", PROD.value());
    long generation = ((Number) row.get("generation")).longValue();
    sql(
        "UPDATE rules SET mac = ?, body = replace(body, 'team-a', 'team-b')",
        store.integrity().macs().rule(PROD.value(), (String) row.get("body"), generation));

    assertThatThrownBy(() ->
            store.integrityMigration().upgradeRuleMacs(store.integrity().macs(), store.integrity()))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  @Test
  void deletedRuleRowPutBack_readFails() throws Exception {
    RotationRule rule = RotationRule.builder(PROD).owner("team-a").build();
    store.inTransaction(work -> {
      work.rotations().putRule(rule, Optional.empty());
      return null;
    });
    Map<String, Object> before = row("SELECT * FROM rules WHERE secret = ?", PROD.value());
    store.inTransaction(work -> work.rotations().deleteRule(PROD));

    insert("rules", before);

    assertThatThrownBy(() -> store.rotations().rule(PROD))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  @Test
  void secretRowsDeleted_readFailsInsteadOfNotFound() throws Exception {
    put(PROD, "value-one", Duration.ZERO);

    sql("DELETE FROM versions");
    sql("DELETE FROM secrets");

    assertThatThrownBy(() -> service.read(PROD, Selector.current(), false))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining("row is gone");
  }

  @Test
  void macColumnCleared_readFails() throws Exception {
    put(PROD, "value-one", Duration.ZERO);

    sql("UPDATE secrets SET mac = NULL");

    assertThatThrownBy(() -> service.read(PROD, Selector.current(), false))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageContaining("no MAC");
  }

  // (i)
  @Test
  void restart_everythingWrittenStillVerifies() throws Exception {
    put(PROD, "prod-one", Duration.ZERO);
    put(PROD, "prod-two", Duration.ofHours(2));
    put(DEV, "dev-one", Duration.ZERO);
    service.inTransaction(w -> service.delete(w, DEV, false, "t"));
    String token = Tokens.newToken(random);
    TokenRecord reader = token("reader", token, List.of("read:app/dev/*"));
    TokenRecord revoked = token("gone", Tokens.newToken(random), List.of("read:*"));
    store.inTransaction(work -> {
      work.tokens().create(reader);
      work.tokens().create(revoked);
      work.rotations().putRule(RotationRule.builder(PROD).owner("o").build(), Optional.empty());
      return null;
    });
    store.inTransaction(work -> work.tokens().revoke(revoked.id(), T0.plusSeconds(1)));

    restart();

    assertThat(service.read(PROD, Selector.current(), false).plaintext().revealUtf8())
        .isEqualTo("prod-two");
    assertThat(service.keyring(PROD)).hasSize(2);
    assertThat(service.describe(DEV).versions().allRetired()).isTrue();
    assertThat(store.tokens().findByHash(Tokens.hash(token))).isPresent();
    assertThat(store.tokens().list()).hasSize(2);
    assertThat(store.rotations().rule(PROD)).isPresent();
    assertThat(failures()).isEmpty();
  }

  @Test
  void generations_areSealedInTheAuditChain() {
    put(PROD, "one", Duration.ZERO);
    put(PROD, "two", Duration.ZERO);

    List<AuditRecord> records =
        audit.query(
            new AuditQuery(
                Optional.empty(), Optional.empty(), Optional.of("test.put"), Optional.empty(), 10));

    assertThat(records).hasSize(2);
    assertThat(records.get(1).event().generations()).containsEntry("secret:" + PROD.value(), 2L);
    assertThat(new dev.keyturn.core.audit.AuditVerifier(chain).verify(audit, Optional.empty()).ok())
        .isTrue();
  }

  @Test
  void sweep_cleanStore_checksEveryRowPastThePageSize_andFindsNothing() throws Exception {
    put(PROD, "old-value", Duration.ZERO);
    put(PROD, "new-value", Duration.ofHours(1));
    TokenRecord reader = token("reader", Tokens.newToken(random), List.of("read:app/dev/*"));
    int rules = IntegritySweep.PAGE * 2 + 7;
    store.inTransaction(work -> {
      work.tokens().create(reader);
      for (int i = 0; i < rules; i++) {
        work.rotations()
            .putRule(
                RotationRule.builder(SecretName.of("sweep/r" + i)).build(),
                Optional.of(T0.plus(Duration.ofDays(i + 1))));
      }
      return null;
    });
    long tokens = store.tokens().count();

    Store.SweepResult result = store.sweep();

    assertThat(result.failures()).isEmpty();
    assertThat(result.rows()).isEqualTo(1 + tokens + rules);
    restart();
    assertThat(store.sweep()).isEqualTo(result);
  }

  @Test
  void sweep_findsRowsEditedSoThatNoReadTouchesThem_andGoesOnPastEachFailure() throws Exception {
    put(PROD, "old-value", Duration.ZERO);
    put(PROD, "new-value", Duration.ofHours(1));
    put(DEV, "dev-value", Duration.ZERO);
    TokenRecord reader = token("reader", Tokens.newToken(random), List.of("read:app/dev/*"));
    store.inTransaction(work -> {
      work.tokens().create(reader);
      for (int i = 0; i < IntegritySweep.PAGE + 10; i++) {
        work.rotations()
            .putRule(
                RotationRule.builder(SecretName.of("sweep/r" + String.format("%04d", i))).build(),
                Optional.of(T0.plus(Duration.ofDays(30))));
      }
      return null;
    });
    // Out of the due query for good, the old password accepted for a century, a reader made admin:
    // no indexed query returns these rows, so only a read by name would have found them.
    sql(
        "UPDATE rules SET next_due = NULL, start_at = NULL WHERE secret IN (?, ?)",
        "sweep/r0003",
        "sweep/r0507");
    sql(
        "UPDATE versions SET accept_until = accept_until + 3155760000000 WHERE number = 1"
            + " AND secret_id = (SELECT id FROM secrets WHERE name = ?)",
        PROD.value());
    sql("UPDATE tokens SET grants = 'admin:*' WHERE id = ?", reader.id());
    assertThat(store.rotations().dueRules(T0.plus(Duration.ofDays(3650)), 1000))
        .hasSize(IntegritySweep.PAGE + 8);
    // a rule moved to the empty name, which no secret has (the due query would find this one; a
    // read by name never would): the sweep's first page starts at '' itself
    sql("UPDATE rules SET secret = '' WHERE secret = ?", "sweep/r0100");

    Store.SweepResult result = store.sweep();

    assertThat(result.failures())
        .containsExactlyInAnyOrder(
            "secret " + PROD.value() + "#1",
            "token " + reader.id(),
            "rule of sweep/r0003",
            "rule of sweep/r0507",
            "rule of ");
    assertThat(result.rows()).isEqualTo(2 + store.tokens().count() + IntegritySweep.PAGE + 10);
    // each failure is audited as a read's is, written in the background: wait for all five
    Eventually.waitFor(Duration.ofSeconds(10), () -> failures().size() >= 5);
    assertThat(failures())
        .extracting(r -> r.event().secret().orElse("-"))
        .contains(PROD.value(), "sweep/r0003", "sweep/r0507", "");
  }

  // --- helpers

  void put(SecretName name, String value, Duration grace) {
    service.inTransaction(work -> {
      service.put(
          work, name, Plaintext.ofUtf8(value), ValueType.STRING, grace, Stage.CURRENT, "test");
      work.audit()
          .append(
              List.of(
                  new dev.keyturn.core.spi.AuditEvent(
                      clock.instant(),
                      "test",
                      "-",
                      "test.put",
                      Optional.of(name.value()),
                      Optional.empty(),
                      "ok",
                      "")));
      return null;
    });
  }

  TokenRecord token(String name, String token, List<String> grants) {
    return new TokenRecord(
        Tokens.newId(random),
        name,
        Tokens.hash(token),
        grants,
        T0,
        Optional.of(T0.plus(Duration.ofDays(30))),
        Optional.empty(),
        Optional.empty(),
        TokenRecord.CreatorSource.RECORDED);
  }

  List<AuditRecord> failures() {
    return audit.query(
        new AuditQuery(
            Optional.empty(),
            Optional.empty(),
            Optional.of("integrity.fail"),
            Optional.empty(),
            100));
  }

  void assertFailureAudited(String secret) throws InterruptedException {
    Eventually.waitFor(Duration.ofSeconds(10), () -> !failures().isEmpty());
    AuditRecord record = failures().get(0);
    assertThat(record.event().result()).isEqualTo("failed");
    if (secret != null) {
      assertThat(record.event().secret()).contains(secret);
    }
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(url());
  }

  void sql(String statement, Object... args) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(statement)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      ps.executeUpdate();
    }
  }

  Map<String, Object> row(String query, Object... args) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(query)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          out.put(rs.getMetaData().getColumnName(i), rs.getObject(i));
        }
        return out;
      }
    }
  }

  /** Puts every column of {@code before} back into the row with the same {@code key}. */
  void restore(String table, String key, Map<String, Object> before) throws SQLException {
    List<String> sets = new ArrayList<>();
    List<Object> args = new ArrayList<>();
    before.forEach((column, value) -> {
      sets.add(column + " = ?");
      args.add(value);
    });
    args.add(before.get(key));
    String where = key + " = ?";
    if (table.equals("versions")) {
      where += " AND secret_id = ?";
      args.add(before.get("secret_id"));
    }
    int changed;
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE " + table + " SET " + String.join(", ", sets) + " WHERE " + where)) {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
      changed = ps.executeUpdate();
    }
    if (changed == 0) {
      insert(table, before);
    }
  }

  void insert(String table, Map<String, Object> row) throws SQLException {
    List<String> marks = new ArrayList<>();
    row.keySet().forEach(k -> marks.add("?"));
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO "
                    + table
                    + " ("
                    + String.join(", ", row.keySet())
                    + ") VALUES ("
                    + String.join(", ", marks)
                    + ")")) {
      int i = 1;
      for (Object value : row.values()) {
        ps.setObject(i++, value);
      }
      ps.executeUpdate();
    }
  }
}
