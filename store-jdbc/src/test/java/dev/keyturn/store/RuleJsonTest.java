package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link RuleJson}: what a stored text parses to, parsed once for equal text. */
class RuleJsonTest {
  private static final SecretName NAME = SecretName.of("app/prod/RULE_JSON");

  @Test
  void read_sameTextTwice_returnsTheSameRule() {
    String text = RuleJson.write(RotationRule.builder(NAME).grace(Duration.ofHours(2)).build());

    RotationRule first = RuleJson.read(NAME, text);
    RotationRule second = RuleJson.read(NAME, text);

    assertThat(second).isSameAs(first);
    assertThat(second.grace()).isEqualTo(Duration.ofHours(2));
  }

  @Test
  void read_textEditedBetweenReads_returnsTheEditedRule() {
    RotationRule rule = RotationRule.builder(NAME).grace(Duration.ofHours(2)).build();
    RuleJson.read(NAME, RuleJson.write(rule));

    RotationRule edited =
        RuleJson.read(NAME, RuleJson.write(rule.toBuilder().grace(Duration.ofHours(5)).build()));

    assertThat(edited.grace()).isEqualTo(Duration.ofHours(5));
  }

  @Test
  void read_sameTextUnderAnotherName_returnsARuleOfThatName() {
    SecretName other = SecretName.of("app/prod/OTHER");
    String text = RuleJson.write(RotationRule.builder(NAME).build());
    RuleJson.read(NAME, text);

    RotationRule read = RuleJson.read(other, text);

    assertThat(read.secret()).isEqualTo(other);
  }
}
