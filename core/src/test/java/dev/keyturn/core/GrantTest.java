package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
  void covers_sameOrNarrowerGlob_isTrue() {
    assertThat(Grant.parse("read:app/*").covers(Grant.parse("read:app/prod/*"))).isTrue();
    assertThat(Grant.parse("admin:app/*").covers(Grant.parse("write:app/x"))).isTrue();
    assertThat(Grant.parse("read:app/x").covers(Grant.parse("read:app/x"))).isTrue();
    assertThat(Grant.parse("read:*").covers(Grant.parse("read:*/dev/*"))).isTrue();
    assertThat(Grant.parse("read:a*b").covers(Grant.parse("read:a*b*b"))).isTrue();
    assertThat(Grant.parse("read:*a*a*").covers(Grant.parse("read:*aa*"))).isTrue();
    assertThat(Grant.parse("read:*/dev/*").covers(Grant.parse("read:app/dev/*_PUBLIC"))).isTrue();
  }

  @Test
  void covers_otherCapabilityOrWiderGlob_isFalse() {
    assertThat(Grant.parse("read:app/*").covers(Grant.parse("write:app/x"))).isFalse();
    assertThat(Grant.parse("read:app/prod/*").covers(Grant.parse("read:app/*"))).isFalse();
    assertThat(Grant.parse("read:app/x").covers(Grant.parse("read:app/x*"))).isFalse();
    assertThat(Grant.parse("read:*aa*").covers(Grant.parse("read:*a*a*"))).isFalse();
  }

  @Test
  void covers_starInsideTheGlob_isNotAPrefixRule() {
    // The two escalations found by attacking the prefix rule (issue 10 item 1).
    assertThat(Grant.parse("admin:*/dev/*").covers(Grant.parse("admin:*"))).isFalse();
    assertThat(Grant.parse("admin:app/dev/*_PUBLIC").covers(Grant.parse("read:app/dev/*")))
        .isFalse();
    assertThat(Grant.parse("admin:app/*x").covers(Grant.parse("read:app/y"))).isFalse();
  }

  @Test
  void covers_storedGlobWithManyStars_decidesWithinItsBound() {
    Grant wide = Grant.ofStored("admin:" + "*a".repeat(40) + "*");
    Grant narrow = Grant.ofStored("read:" + "a".repeat(40));

    assertThat(wide.covers(narrow)).isTrue();
    assertThat(wide.covers(Grant.ofStored("read:" + "a".repeat(39)))).isFalse();
  }

  @Test
  void parse_bad_isRefused() {
    assertThatThrownBy(() -> Grant.parse("read")).isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(() -> Grant.parse("fly:app/*"))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(() -> Grant.parse("read:"))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "read:app/../prod/*|'..'",
        "read:app/x..y|'..'",
        "read:app//x|empty segment",
        "read:/app/*|start or end with '/'",
        "read:app/|start or end with '/'",
        "read:app/./x|'.' segment",
        "read:app/**|'**'",
        "read:a*b*c*d*e*f*g*h*i*|at most 8",
        "read:app/%2e%2e/x|character '%' at position 5",
        "read:app/x;DROP|character ';' at position 6",
      })
  void parse_nonCanonicalGlob_isRefusedNamingTheProblem(String text, String problem) {
    assertThatThrownBy(() -> Grant.parse(text))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining(problem)
        .hasMessageNotContaining(text.substring(text.indexOf(':') + 1));
  }

  @Test
  void parse_controlCharactersAndHugeText_areRefusedWithABoundedMessage() {
    String huge = "read:" + "a".repeat(100_000);

    assertThatThrownBy(() -> Grant.parse("read:app/\r\nX"))
        .hasMessageContaining("U+000D")
        .hasMessageNotContaining("\n");
    assertThatThrownBy(() -> Grant.parse("read:app/\0")).hasMessageContaining("U+0000");
    assertThatThrownBy(() -> Grant.parse(huge))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .message()
        .hasSizeLessThan(200);
  }

  @Test
  void parse_eightStars_isAccepted() {
    assertThat(Grant.parse("read:*a*b*c*d*e*f*g*").glob()).hasSize(15);
  }
}
