package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretNameTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "app/production/SECRET_KEY",
        "x.y-z_1/A.B",
        "leather-api/production/REVALIDATE_SECRET"
      })
  void of_canonicalName_isAccepted(String raw) {
    SecretName name = SecretName.of(raw);

    assertThat(name.value()).isEqualTo(raw);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", "/a", "a/", "a//b", "./a", "a/./b", "a/..", "../a", "a/../b", "..", ".",
        "a%2eb", "a/%2e%2e/b", "a%2Fb", "a b", "a\\b", "a?b", "a#b", "a:b", "é", "a\nb", "a*"
      })
  void of_nonCanonicalName_isRefusedWithoutEcho(String raw) {
    assertThatThrownBy(() -> SecretName.of(raw))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageStartingWith("invalid secret name");
  }

  @Test
  void of_longerThan256_isRefused() {
    assertThat(SecretName.of("a".repeat(256)).value()).hasSize(256);

    assertThatThrownBy(() -> SecretName.of("a".repeat(257)))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("256");
  }

  @Test
  void leaf_isLastSegment() {
    assertThat(SecretName.of("app/prod/DATABASE_URL").leaf()).isEqualTo("DATABASE_URL");
    assertThat(SecretName.of("TOKEN").leaf()).isEqualTo("TOKEN");
  }
}
