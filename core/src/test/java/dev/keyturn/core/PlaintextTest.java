package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlaintextTest {
  @Test
  void toString_neverShowsTheValue() {
    Plaintext p = Plaintext.ofUtf8("canary-plaintext");
    SecretValue v =
        new SecretValue(
            SecretName.of("a/b"),
            new Version(
                1, Stage.CURRENT, ValueType.STRING, Instant.EPOCH, "t", Optional.empty(), "f"),
            p);

    assertThat(p.toString()).isEqualTo("[redacted]");
    assertThat(v.toString()).doesNotContain("canary").contains("a/b#1");
    assertThat(List.of(p).toString()).doesNotContain("canary");
  }

  @Test
  void sameAs_comparesBytes() {
    assertThat(Plaintext.ofUtf8("x").sameAs(Plaintext.ofUtf8("x"))).isTrue();
    assertThat(Plaintext.ofUtf8("x").sameAs(Plaintext.ofUtf8("y"))).isFalse();
    assertThat(Plaintext.ofUtf8("x").equals(Plaintext.ofUtf8("x"))).isFalse();
  }

  @Test
  void copyOf_isIndependentAndDestroyZeroes() {
    byte[] source = {1, 2, 3};
    Plaintext p = Plaintext.copyOf(source);
    source[0] = 9;

    assertThat(p.reveal()).containsExactly(1, 2, 3);
    p.destroy();
    assertThat(p.reveal()).containsExactly(0, 0, 0);
  }

  @Test
  void revealUtf8_refusesInvalidText() {
    assertThatThrownBy(() -> Plaintext.wrap(new byte[] {(byte) 0xff}).revealUtf8())
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessage("the value is not UTF-8 text");
  }
}
