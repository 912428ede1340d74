package dev.keyturn.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WireJsonTest {
  @Test
  void readValue_fractionWhereAWholeNumberIsExpected_isRefused() {
    String body = "{\"name\":\"app/x\",\"using\":2.5,\"accepting\":[]}";

    assertThatThrownBy(() -> WireJson.mapper().readValue(body, ConsumerHolding.class))
        .isInstanceOf(tools.jackson.core.JacksonException.class);
  }

  @Test
  void readValue_holdingWithoutFailed_hasNoFailedVersion_andWritesNoFailedField() {
    String body = "{\"name\":\"app/x\",\"using\":2,\"accepting\":[3]}";

    ConsumerHolding h = WireJson.mapper().readValue(body, ConsumerHolding.class);

    assertThat(h).isEqualTo(new ConsumerHolding("app/x", 2, java.util.List.of(3)));
    assertThat(WireJson.mapper().writeValueAsString(h)).doesNotContain("failed");
  }
}
