package dev.keyturn.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditRecord;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The ledger taking in records read from a store, and records this process sealed itself. */
class GenerationLedgerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final AuditChain chain = new AuditChain(RootKey.generate(new SecureRandom()));

  @Test
  void absorbSealed_afterTheLastRecord_takesThemInWithTheirGenerations() {
    List<AuditRecord> records = sealed(AuditChain.GENESIS, 1, "a", "b", "c");
    GenerationLedger ledger = new GenerationLedger(chain);
    ledger.absorb(records.get(0));

    ledger.absorbSealed(records.subList(1, 3), records.get(0).mac());

    assertThat(ledger.lastSeq()).isEqualTo(3);
    assertThat(ledger.highest("secret:c")).isEqualTo(3);
    assertThat(ledger.highest("secret:b")).isEqualTo(2);
    assertThat(ledger.problem()).isEmpty();
    List<AuditRecord> next = sealed(records.get(2).mac(), 4, "d");
    assertThat(ledger.absorb(next.get(0))).as("the next record read verifies after them").isTrue();
    assertThat(ledger.lastSeq()).isEqualTo(4);
  }

  @Test
  void absorbSealed_partlyReadAlready_takesInOnlyTheRest() {
    List<AuditRecord> records = sealed(AuditChain.GENESIS, 1, "a", "b", "c");
    GenerationLedger ledger = new GenerationLedger(chain);
    ledger.absorb(records.get(0));
    ledger.absorb(records.get(1));

    ledger.absorbSealed(records, AuditChain.GENESIS);

    assertThat(ledger.lastSeq()).isEqualTo(3);
    assertThat(ledger.highest("secret:c")).isEqualTo(3);
  }

  @Test
  void absorbSealed_withAnotherWritersRecordsBetween_takesInNothing() {
    List<AuditRecord> theirs = sealed(AuditChain.GENESIS, 1, "theirs");
    List<AuditRecord> ours = sealed(theirs.get(0).mac(), 2, "ours");
    GenerationLedger ledger = new GenerationLedger(chain);

    ledger.absorbSealed(ours, theirs.get(0).mac());

    assertThat(ledger.lastSeq()).as("record 1 is not taken in yet").isZero();
    assertThat(ledger.highest("secret:ours")).isZero();
    assertThat(ledger.problem()).as("not a break: the store has them").isEmpty();
    assertThat(ledger.absorb(theirs.get(0))).isTrue();
    assertThat(ledger.absorb(ours.get(0))).isTrue();
    assertThat(ledger.highest("secret:ours")).isEqualTo(2);
  }

  @Test
  void absorbSealed_overAnotherHeadWithTheSameNumber_takesInNothing() {
    List<AuditRecord> read = sealed(AuditChain.GENESIS, 1, "read");
    List<AuditRecord> elsewhere = sealed(AuditChain.GENESIS, 1, "elsewhere");
    List<AuditRecord> ours = sealed(elsewhere.get(0).mac(), 2, "ours");
    GenerationLedger ledger = new GenerationLedger(chain);
    ledger.absorb(read.get(0));

    ledger.absorbSealed(ours, elsewhere.get(0).mac());

    assertThat(ledger.lastSeq()).isEqualTo(1);
    assertThat(ledger.highest("secret:ours")).isZero();
  }

  @Test
  void absorbSealed_afterABreak_takesInNothing() {
    List<AuditRecord> records = sealed(AuditChain.GENESIS, 1, "a", "b");
    GenerationLedger ledger = new GenerationLedger(chain);
    assertThat(ledger.absorb(records.get(1))).as("record 1 is missing").isFalse();

    ledger.absorbSealed(records, AuditChain.GENESIS);

    assertThat(ledger.lastSeq()).isZero();
    assertThat(ledger.problem()).contains("audit record 1 is missing");
  }

  /** Records sealed from {@code seq} on, after {@code previous}, each raising one object. */
  private List<AuditRecord> sealed(byte[] previous, long seq, String... objects) {
    List<AuditRecord> out = new ArrayList<>();
    byte[] mac = previous;
    long n = seq;
    for (String object : objects) {
      AuditEvent event =
          new AuditEvent(
              T0,
              "tok",
              "test",
              "secret.write",
              Optional.of(object),
              Optional.of(1),
              "ok",
              "",
              Map.of("secret:" + object, n));
      AuditRecord record = chain.seal(n++, event, mac);
      out.add(record);
      mac = record.mac();
    }
    return out;
  }
}
