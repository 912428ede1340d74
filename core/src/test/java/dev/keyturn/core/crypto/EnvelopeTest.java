package dev.keyturn.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;

class EnvelopeTest {
  private static final byte[] VALUE = "canary-7f3a-envelope".getBytes(StandardCharsets.UTF_8);
  private final SecureRandom random = new SecureRandom();
  private final RootKey rootKey = RootKey.generate(random);
  private final Envelope envelope = new Envelope(rootKey, random);

  @Test
  void sealAndOpen_roundTrips() {
    SecretKey dk = envelope.unwrapDataKey(envelope.newWrappedDataKey(7, "s", 1), 7, "s", 1);

    byte[] ct = envelope.sealValue(dk, 1, VALUE, Aad.forValue(7, "s", 3));

    assertThat(envelope.openValue(dk, ct, Aad.forValue(7, "s", 3))).isEqualTo(VALUE);
    assertThat(new String(ct, StandardCharsets.ISO_8859_1)).doesNotContain("canary");
  }

  @Test
  void ciphertext_describesFormatAndKeyId() {
    byte[] wrapped = envelope.newWrappedDataKey(7, "s", 1);
    SecretKey dk = envelope.unwrapDataKey(wrapped, 7, "s", 1);
    byte[] ct = envelope.sealValue(dk, 1, VALUE, Aad.forValue(7, "s", 3));

    assertThat(wrapped[0]).isEqualTo(Envelope.FORMAT);
    assertThat(Envelope.keyId(wrapped)).isEqualTo(rootKey.id()).matches("rk-[0-9a-f]{16}");
    assertThat(Envelope.keyId(ct)).isEqualTo("dk-1");
    assertThat(ct.length).isEqualTo(2 + 4 + 12 + VALUE.length + 16);
  }

  @Test
  void nonces_areFreshForEverySeal() {
    SecretKey dk = envelope.unwrapDataKey(envelope.newWrappedDataKey(7, "s", 1), 7, "s", 1);

    byte[] a = envelope.sealValue(dk, 1, VALUE, Aad.forValue(7, "s", 1));
    byte[] b = envelope.sealValue(dk, 1, VALUE, Aad.forValue(7, "s", 1));

    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void flippedBit_anywhere_isRefused() {
    SecretKey dk = envelope.unwrapDataKey(envelope.newWrappedDataKey(7, "s", 1), 7, "s", 1);
    byte[] ct = envelope.sealValue(dk, 1, VALUE, Aad.forValue(7, "s", 3));
    int header = 2 + 4;
    int[] positions = {
      0, // format version
      1, // key id length
      3, // key id
      header, // first nonce byte
      header + 11, // last nonce byte
      header + 12, // first ciphertext byte
      header + 12 + VALUE.length - 1, // last ciphertext byte
      ct.length - 16, // first tag byte
      ct.length - 1 // last tag byte
    };

    for (int position : positions) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] tampered = ct.clone();
        tampered[position] ^= (byte) (1 << bit);

        assertThatThrownBy(() -> envelope.openValue(dk, tampered, Aad.forValue(7, "s", 3)))
            .as("bit %d of byte %d", bit, position)
            .isInstanceOf(KeyturnException.CryptoFailure.class);
      }
    }
  }

  @Test
  void ciphertext_movedToAnotherVersionOrSecret_isRefused() {
    SecretKey dk = envelope.unwrapDataKey(envelope.newWrappedDataKey(7, "s", 1), 7, "s", 1);
    byte[] ct = envelope.sealValue(dk, 1, VALUE, Aad.forValue(7, "s", 3));

    assertThatThrownBy(() -> envelope.openValue(dk, ct, Aad.forValue(7, "s", 4)))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
    assertThatThrownBy(() -> envelope.openValue(dk, ct, Aad.forValue(8, "s", 3)))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
  }

  @Test
  void ciphertext_underAnotherName_isRefused() {
    SecretKey dk =
        envelope.unwrapDataKey(
            envelope.newWrappedDataKey(7, "app/prod/DB", 1), 7, "app/prod/DB", 1);
    byte[] ct = envelope.sealValue(dk, 1, VALUE, Aad.forValue(7, "app/prod/DB", 3));

    assertThatThrownBy(() -> envelope.openValue(dk, ct, Aad.forValue(7, "app/dev/DB", 3)))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
    assertThatThrownBy(() -> envelope.openValue(dk, ct, Aad.legacyValue(7, 3)))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
  }

  @Test
  void wrappedDataKey_underAnotherName_isRefused() {
    byte[] wrapped = envelope.newWrappedDataKey(7, "app/prod/DB", 1);

    assertThatThrownBy(() -> envelope.unwrapDataKey(wrapped, 7, "app/dev/DB", 1))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
  }

  @Test
  void rebindDataKey_legacyKey_opensOnlyUnderItsName() {
    byte[] raw = new byte[32];
    random.nextBytes(raw);
    byte[] legacy = legacyWrap(raw, 7, 1);

    byte[] bound = envelope.rebindDataKey(legacy, 7, "app/prod/DB", 1);

    assertThat(envelope.unwrapDataKey(bound, 7, "app/prod/DB", 1).getEncoded()).isEqualTo(raw);
    assertThatThrownBy(() -> envelope.unwrapDataKey(bound, 7, "app/dev/DB", 1))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
  }

  @Test
  void metadataKey_roundTripsAndIsNotADataKey() {
    byte[] key = new byte[32];
    random.nextBytes(key);

    byte[] wrapped = envelope.wrapMetadataKey(key);

    assertThat(envelope.unwrapMetadataKey(wrapped)).isEqualTo(key);
    assertThatThrownBy(() -> envelope.unwrapDataKey(wrapped, 7, "s", 1))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
  }

  /** A data key wrapped as the code before name binding wrapped it. */
  private byte[] legacyWrap(byte[] raw, long secretId, int dataKey) {
    try {
      byte[] id = rootKey.id().getBytes(StandardCharsets.US_ASCII);
      byte[] nonce = new byte[12];
      random.nextBytes(nonce);
      javax.crypto.Cipher cipher = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          javax.crypto.Cipher.ENCRYPT_MODE,
          rootKey.aesKey(),
          new javax.crypto.spec.GCMParameterSpec(128, nonce));
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      out.write(Envelope.FORMAT);
      out.write(id.length);
      out.writeBytes(id);
      cipher.updateAAD(out.toByteArray());
      cipher.updateAAD(Aad.legacyDataKey(secretId, dataKey));
      out.writeBytes(nonce);
      out.writeBytes(cipher.doFinal(raw));
      return out.toByteArray();
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void wrappedDataKey_boundToItsSecret() {
    byte[] wrapped = envelope.newWrappedDataKey(7, "s", 1);

    assertThatThrownBy(() -> envelope.unwrapDataKey(wrapped, 8, "s", 1))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
  }

  @Test
  void wrappedDataKey_underAnotherRootKey_namesBothKeys() {
    Envelope other = new Envelope(RootKey.generate(random), random);
    byte[] wrapped = other.newWrappedDataKey(7, "s", 1);

    assertThatThrownBy(() -> envelope.unwrapDataKey(wrapped, 7, "s", 1))
        .isInstanceOf(KeyturnException.CryptoFailure.class)
        .hasMessageContaining(other.rootKeyId())
        .hasMessageContaining(rootKey.id());
  }

  @Test
  void truncatedOrUnknownFormat_isRefused() {
    SecretKey dk = envelope.unwrapDataKey(envelope.newWrappedDataKey(7, "s", 1), 7, "s", 1);
    byte[] ct = envelope.sealValue(dk, 1, VALUE, Aad.forValue(7, "s", 3));

    assertThatThrownBy(() -> envelope.openValue(dk, new byte[0], Aad.forValue(7, "s", 3)))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
    assertThatThrownBy(
            () -> envelope.openValue(dk, java.util.Arrays.copyOf(ct, 20), Aad.forValue(7, "s", 3)))
        .isInstanceOf(KeyturnException.CryptoFailure.class);
  }

  @Test
  void aad_isUnambiguous() {
    assertThat(Aad.of("ab", "c")).isNotEqualTo(Aad.of("a", "bc"));
    assertThat(Aad.forValue(1, "s", 23)).isNotEqualTo(Aad.forValue(12, "s", 3));
  }

  @Test
  void fingerprint_isKeyedAndStable() {
    SecretKey dk1 = envelope.unwrapDataKey(envelope.newWrappedDataKey(7, "s", 1), 7, "s", 1);
    SecretKey dk2 = envelope.unwrapDataKey(envelope.newWrappedDataKey(8, "s", 1), 8, "s", 1);

    assertThat(envelope.fingerprint(dk1, VALUE))
        .isEqualTo(envelope.fingerprint(dk1, VALUE))
        .hasSize(32);
    assertThat(envelope.fingerprint(dk1, VALUE)).isNotEqualTo(envelope.fingerprint(dk2, VALUE));
  }

  @Test
  void rootKey_roundTripsThroughBase64AndHidesItself() {
    RootKey parsed = RootKey.fromBase64(rootKey.toBase64Line());

    assertThat(parsed.sameAs(rootKey)).isTrue();
    assertThat(parsed.id()).isEqualTo(rootKey.id());
    assertThat(parsed.toString()).isEqualTo("RootKey[" + rootKey.id() + "]");
    assertThatThrownBy(() -> RootKey.fromBase64("c2hvcnQ="))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(() -> RootKey.fromBase64("not base64!"))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }
}
