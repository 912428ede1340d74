package dev.keyturn.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditRecord;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Optional;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;

/** An envelope and an audit chain through a root key rotation. */
class EnvelopeRotationTest {
  private static final byte[] VALUE = "canary-91c2-rotation".getBytes(StandardCharsets.UTF_8);
  private final SecureRandom random = new SecureRandom();
  private final RootKey old = RootKey.generate(random);
  private final RootKey next = RootKey.generate(random);

  @Test
  void beginWrapping_newKeysUnderNext_oldRowsStillOpen() {
    Envelope envelope = new Envelope(old, random);
    byte[] before = envelope.newWrappedDataKey(7, "app/x", 1);

    envelope.beginWrapping(next);
    byte[] after = envelope.newWrappedDataKey(8, "app/y", 1);

    assertThat(Envelope.keyId(before)).isEqualTo(old.id());
    assertThat(Envelope.keyId(after)).isEqualTo(next.id());
    assertThat(envelope.rootKeyId()).isEqualTo(next.id());
    assertThat(envelope.unwrapDataKey(before, 7, "app/x", 1).getEncoded()).hasSize(32);
    assertThat(envelope.unwrapDataKey(after, 8, "app/y", 1).getEncoded()).hasSize(32);
  }

  @Test
  void rewrapDataKey_sameKeyUnderNext_opensWithNextAlone() {
    Envelope rotating = new Envelope(old, random);
    byte[] wrapped = rotating.newWrappedDataKey(7, "app/x", 1);
    SecretKey dataKey = rotating.unwrapDataKey(wrapped, 7, "app/x", 1);
    byte[] value = rotating.sealValue(dataKey, 1, VALUE, Aad.forValue(7, "app/x", 1));
    rotating.beginWrapping(next);

    byte[] rewrapped = rotating.rewrapDataKey(wrapped, 7, "app/x", 1);
    Envelope nextAlone = new Envelope(RootKey.fromBase64(next.toBase64Line()), random);

    assertThat(Envelope.keyId(rewrapped)).isEqualTo(next.id());
    SecretKey reopened = nextAlone.unwrapDataKey(rewrapped, 7, "app/x", 1);
    assertThat(nextAlone.openValue(reopened, value, Aad.forValue(7, "app/x", 1))).isEqualTo(VALUE);
    assertThatThrownBy(() -> nextAlone.unwrapDataKey(wrapped, 7, "app/x", 1))
        .isInstanceOf(KeyturnException.CryptoFailure.class)
        .hasMessageContaining(old.id());
  }

  @Test
  void rewrapDataKey_boundToAnotherSecret_doesNotOpen() {
    Envelope envelope = new Envelope(old, random);
    byte[] wrapped = envelope.newWrappedDataKey(7, "app/x", 1);
    envelope.beginWrapping(next);

    assertThatThrownBy(() -> envelope.rewrapDataKey(wrapped, 8, "app/x", 1))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
    assertThatThrownBy(() -> envelope.rewrapDataKey(wrapped, 7, "app/y", 1))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
  }

  @Test
  void auditKey_wrappedUnderNext_opensOnlyForItsId() {
    Envelope envelope = new Envelope(next, random);
    byte[] key = new byte[32];
    random.nextBytes(key);

    byte[] wrapped = envelope.wrapAuditKey("ak-0000000000000001", key);

    assertThat(envelope.unwrapAuditKey("ak-0000000000000001", wrapped)).isEqualTo(key);
    assertThatThrownBy(() -> envelope.unwrapAuditKey("ak-0000000000000002", wrapped))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
    assertThat(new String(wrapped, StandardCharsets.ISO_8859_1))
        .doesNotContain(new String(key, StandardCharsets.ISO_8859_1));
  }

  @Test
  void chain_sealWithNextAndOldChainKeyKept_verifiesRecordsOfBothWithoutTheOldRootKey() {
    AuditChain chain = new AuditChain(old);
    AuditRecord first = chain.seal(1, event("before"), AuditChain.GENESIS);
    chain.sealWith(next);
    AuditRecord second = chain.seal(2, event("after"), first.mac());
    byte[] oldChainKey = chain.chainKey(first.keyId());

    AuditChain later = new AuditChain(RootKey.fromBase64(next.toBase64Line()));
    String added = later.addChainKey(oldChainKey);

    assertThat(first.keyId()).isNotEqualTo(second.keyId());
    assertThat(added).isEqualTo(first.keyId());
    assertThat(later.verifies(first, AuditChain.GENESIS)).isTrue();
    assertThat(later.verifies(second, first.mac())).isTrue();
    assertThat(new AuditChain(next).verifies(first, AuditChain.GENESIS)).isFalse();
    assertThat(later.keyIds()).containsExactlyInAnyOrder(first.keyId(), second.keyId());
  }

  private static AuditEvent event(String detail) {
    return new AuditEvent(
        Instant.parse("2026-11-28T00:00:00Z"),
        "-",
        "store",
        "root-key.rotate.start",
        Optional.empty(),
        Optional.empty(),
        "ok",
        detail);
  }
}
