package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuleCodecTest {
  private static final SecretName NAME = SecretName.of("app/prod/KEY");

  @Test
  void fromDocument_ruleSetByGlobalAdmin_readsBackAsSuch() {
    RotationRule rule = RotationRule.builder(NAME).setByGlobalAdmin(true).build();

    RotationRule read = RuleCodec.fromDocument(NAME, RuleCodec.toDocument(rule));

    assertThat(read).isEqualTo(rule);
    assertThat(read.setByGlobalAdmin()).isTrue();
  }

  @Test
  void fromDocument_documentWrittenBeforeTheField_readsAsSetByAScopedAdmin() {
    Map<String, Object> doc =
        new LinkedHashMap<>(
            RuleCodec.toDocument(RotationRule.builder(NAME).setByGlobalAdmin(true).build()));
    doc.remove("set_by_global_admin");

    assertThat(RuleCodec.fromDocument(NAME, doc).setByGlobalAdmin()).isFalse();
  }

  @Test
  void fromDocument_setByGlobalAdminNotABoolean_isRefused() {
    Map<String, Object> doc =
        new LinkedHashMap<>(RuleCodec.toDocument(RotationRule.builder(NAME).build()));
    doc.put("set_by_global_admin", "true");

    assertThatThrownBy(() -> RuleCodec.fromDocument(NAME, doc))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }
}
