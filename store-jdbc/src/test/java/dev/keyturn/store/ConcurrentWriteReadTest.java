package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.GenerationLedger;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.testing.FixedClock;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A read that began before a write committed may get the row as it was before that write; that is
 * not an older row put back. Seen in CI: a secret read during a root key rotation on PostgreSQL
 * failed with "the row is at generation 1, but the audit chain records generation 2", because the
 * rewrap of that secret committed between the read's SELECT and its check. A row older than what
 * the ledger knew when the read began is still refused.
 */
class ConcurrentWriteReadTest {
  private static final String OBJECT = "secret:app/KEY";
  private final GenerationLedger ledger =
      new GenerationLedger(new AuditChain(RootKey.generate(new SecureRandom())));
  private final Integrity integrity =
      new Integrity(null, Dialect.SQLITE, new FixedClock(Instant.parse("2026-01-01T00:00:00Z")));

  ConcurrentWriteReadTest() {
    integrity.activate(null, ledger, null);
    ledger.raise(OBJECT, 1);
  }

  @Test
  void rowReadBeforeAWriteCommittedDuringTheRead_isAccepted() {
    Long outer = integrity.beginRead();
    ledger.raise(OBJECT, 2); // the write commits while the read runs
    integrity.checkGeneration("secret app/KEY", OBJECT, 1, Optional.of("app/KEY"));
    integrity.endRead(outer);

    assertThat(ledger.highest(OBJECT)).isEqualTo(2);
  }

  @Test
  void nestedRead_keepsTheOuterReadsStart() {
    Long outer = integrity.beginRead();
    ledger.raise(OBJECT, 2);
    Long inner = integrity.beginRead();
    integrity.checkGeneration("secret app/KEY", OBJECT, 1, Optional.of("app/KEY"));
    integrity.endRead(inner);
    integrity.endRead(outer);
  }

  @Test
  void rowOlderThanTheLedgerKnewWhenTheReadBegan_isRefused() {
    ledger.raise(OBJECT, 2);
    Long outer = integrity.beginRead();
    try {
      assertThatThrownBy(
              () -> integrity.checkGeneration("secret app/KEY", OBJECT, 1, Optional.of("app/KEY")))
          .isInstanceOf(KeyturnException.IntegrityFailure.class)
          .hasMessageContaining("an older row was put back");
    } finally {
      integrity.endRead(outer);
    }
  }

  @Test
  void olderRowOutsideARead_isRefused_andAReadThatEndedLeavesNothingBehind() {
    Long outer = integrity.beginRead();
    integrity.endRead(outer);
    ledger.raise(OBJECT, 2);

    assertThatThrownBy(
            () -> integrity.checkGeneration("secret app/KEY", OBJECT, 1, Optional.of("app/KEY")))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  @Test
  void anotherObjectsRaise_doesNotExcuseThisOne() {
    ledger.raise(OBJECT, 2);
    Long outer = integrity.beginRead();
    ledger.raise("secret:app/OTHER", 5);
    try {
      assertThatThrownBy(
              () -> integrity.checkGeneration("secret app/KEY", OBJECT, 1, Optional.of("app/KEY")))
          .isInstanceOf(KeyturnException.IntegrityFailure.class);
    } finally {
      integrity.endRead(outer);
    }
  }
}
