package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.testing.FixedClock;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Someone with write access to the SQLite file edits, deletes or reorders audit records:
 * verification names the first bad record. Deleting from the end is caught against a checkpoint.
 */
class AuditTamperTest {
  private static final Instant T0 = Instant.parse("2026-11-22T00:00:00Z");
  @TempDir Path dir;
  private JdbcStore store;
  private AuditLog log;
  private AuditChain chain;
  private AuditVerifier verifier;

  @BeforeEach
  void open() {
    store = JdbcStore.open(url(), new FixedClock(T0));
    RootKey root = RootKey.generate(new SecureRandom());
    chain = new AuditChain(root);
    verifier = new AuditVerifier(chain);
    log = store.openAuditLog(chain);
    List<AuditEvent> events = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      events.add(
          new AuditEvent(
              T0.plusSeconds(i),
              "tok_" + i,
              "127.0.0.1",
              "secret.read",
              Optional.of("app/KEY"),
              Optional.of(i),
              "ok",
              ""));
    }
    log.append(events);
  }

  @AfterEach
  void close() {
    log.close();
    store.close();
  }

  @Test
  void untouched_verifies() {
    AuditVerifier.Result result = verifier.verify(log, Optional.empty());

    assertThat(result.ok()).isTrue();
    assertThat(result.records()).isEqualTo(10);
    assertThat(result.head().orElseThrow().seq()).isEqualTo(10);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "UPDATE audit SET token_id = 'tok_x' WHERE seq = 4",
        "UPDATE audit SET client = '10.0.0.1' WHERE seq = 4",
        "UPDATE audit SET action = 'secret.list' WHERE seq = 4",
        "UPDATE audit SET secret = 'app/OTHER' WHERE seq = 4",
        "UPDATE audit SET secret = NULL WHERE seq = 4",
        "UPDATE audit SET version = 99 WHERE seq = 4",
        "UPDATE audit SET result = 'forbidden' WHERE seq = 4",
        "UPDATE audit SET detail = 'x' WHERE seq = 4",
        "UPDATE audit SET time = time + 1 WHERE seq = 4",
        "UPDATE audit SET mac = zeroblob(32) WHERE seq = 4",
      })
  void editedRecord_isNamed(String edit) throws Exception {
    sql(edit);

    AuditVerifier.Result result = verifier.verify(log, Optional.empty());

    assertThat(result.ok()).isFalse();
    assertThat(result.problem().orElseThrow().seq()).isEqualTo(4);
  }

  @Test
  void deletedRecord_isNamed() throws Exception {
    sql("DELETE FROM audit WHERE seq = 4");

    AuditVerifier.Result result = verifier.verify(log, Optional.empty());

    assertThat(result.ok()).isFalse();
    assertThat(result.problem().orElseThrow().seq()).isEqualTo(5);
    assertThat(result.problem().orElseThrow().reason()).contains("expected record 4");
  }

  @Test
  void deletedAndRenumberedRecords_areCaughtByTheChain() throws Exception {
    sql("DELETE FROM audit WHERE seq = 4");
    sql("UPDATE audit SET seq = seq - 1 WHERE seq > 4");

    AuditVerifier.Result result = verifier.verify(log, Optional.empty());

    assertThat(result.ok()).isFalse();
    assertThat(result.problem().orElseThrow().seq()).isEqualTo(4);
  }

  @Test
  void reorderedRecords_areNamed() throws Exception {
    sql("UPDATE audit SET seq = 100 WHERE seq = 4");
    sql("UPDATE audit SET seq = 4 WHERE seq = 5");
    sql("UPDATE audit SET seq = 5 WHERE seq = 100");

    AuditVerifier.Result result = verifier.verify(log, Optional.empty());

    assertThat(result.ok()).isFalse();
    assertThat(result.problem().orElseThrow().seq()).isEqualTo(4);
  }

  @Test
  void truncatedTail_isCaughtOnlyAgainstACheckpoint() throws Exception {
    AuditVerifier.Checkpoint checkpoint =
        verifier.verify(log, Optional.empty()).head().orElseThrow();
    sql("DELETE FROM audit WHERE seq > 7");

    AuditVerifier.Result plain = verifier.verify(log, Optional.empty());
    AuditVerifier.Result checked = verifier.verify(log, Optional.of(checkpoint));

    assertThat(plain.ok()).isTrue();
    assertThat(checked.ok()).isFalse();
    assertThat(checked.problem().orElseThrow().seq()).isEqualTo(10);
    assertThat(checked.problem().orElseThrow().reason()).contains("deleted from the end");
  }

  @Test
  void truncatedAndRegrownTail_differsFromTheCheckpoint() throws Exception {
    AuditVerifier.Checkpoint checkpoint =
        verifier.verify(log, Optional.empty()).head().orElseThrow();
    sql("DELETE FROM audit WHERE seq > 7");
    log.append(
        List.of(
            new AuditEvent(
                T0,
                "tok",
                "127.0.0.1",
                "secret.read",
                Optional.empty(),
                Optional.empty(),
                "ok",
                ""),
            new AuditEvent(
                T0,
                "tok",
                "127.0.0.1",
                "secret.read",
                Optional.empty(),
                Optional.empty(),
                "ok",
                ""),
            new AuditEvent(
                T0,
                "tok",
                "127.0.0.1",
                "secret.read",
                Optional.empty(),
                Optional.empty(),
                "ok",
                "")));

    AuditVerifier.Result checked = verifier.verify(log, Optional.of(checkpoint));

    assertThat(checked.ok()).isFalse();
    assertThat(checked.problem().orElseThrow().reason()).contains("differs from the checkpoint");
  }

  @Test
  void recordsFromAnOlderRootKey_stillVerify() {
    RootKey newer = RootKey.generate(new SecureRandom());
    RootKey older = RootKey.generate(new SecureRandom());
    AuditChain before = new AuditChain(older);
    AuditChain after = new AuditChain(newer, older);

    assertThat(after.knows(before.sealingKeyId())).isTrue();
    assertThat(new AuditChain(newer).knows(before.sealingKeyId())).isFalse();
  }

  private void sql(String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(url())) {
      c.createStatement().execute(statement);
    }
  }

  private String url() {
    return "jdbc:sqlite:" + dir.resolve("keyturn.db");
  }
}
