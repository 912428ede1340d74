package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GrantTest {
  @Test
  void allows_starMatchesAcrossSlashes() {
    Grant g = Grant.parse("read:app/*");

    assertThat(g.allows(Capability.READ, "app/prod/A")).isTrue();
    assertThat(g.allows(Capability.READ, "app/")).isTrue();
    assertThat(g.allows(Capability.READ, "apps/x")).isFalse();
    assertThat(g.allows(Capability.WRITE, "app/prod/A")).isFalse();
  }

  @Test
  void allows_adminIncludesEveryCapability() {
    Grant g = Grant.parse("admin:app/*");

    for (Capability c : Capability.values()) {
      assertThat(g.allows(c, "app/x")).isTrue();
      assertThat(g.allows(c, "other/x")).isFalse();
    }
  }

  @Test
  void allows_globWithoutStarMatchesExactly() {
    Grant g = Grant.parse("read:app/prod/KEY");

    assertThat(g.allows(Capability.READ, "app/prod/KEY")).isTrue();
    assertThat(g.allows(Capability.READ, "app/prod/KEY2")).isFalse();
  }

  @Test
  void allows_starInTheMiddle() {
    Grant g = Grant.parse("read:*/production/*");

    assertThat(g.allows(Capability.READ, "a/production/K")).isTrue();
    assertThat(g.allows(Capability.READ, "a/b/production/K")).isTrue();
    assertThat(g.allows(Capability.READ, "a/staging/K")).isFalse();
  }

  @Test
  void covers_followsThePrefixBeforeTheFirstStar() {
    assertThat(Grant.parse("read:app/*").covers(Grant.parse("read:app/prod/*"))).isTrue();
    assertThat(Grant.parse("admin:app/*").covers(Grant.parse("write:app/x"))).isTrue();
    assertThat(Grant.parse("read:app/*").covers(Grant.parse("write:app/x"))).isFalse();
    assertThat(Grant.parse("read:app/prod/*").covers(Grant.parse("read:app/*"))).isFalse();
    assertThat(Grant.parse("read:app/x").covers(Grant.parse("read:app/x"))).isTrue();
    assertThat(Grant.parse("read:app/x").covers(Grant.parse("read:app/x*"))).isFalse();
  }

  @Test
  void parse_bad_isRefused() {
    assertThatThrownBy(() -> Grant.parse("read")).isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(() -> Grant.parse("fly:app/*"))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(() -> Grant.parse("read:"))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }
}
