package dev.keyturn.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Wire records that carry a value or a token never show it in toString (invariant 5). */
class RedactionTest {
  private static final String CANARY = "canary-wire-1234";

  @Test
  void toString_neverShowsValuesOrTokens() {
    var node = WireJson.mapper().getNodeFactory().stringNode(CANARY);
    List<Object> records =
        List.of(
            new PutSecretRequest(CANARY, null, null, null, null),
            new SecretValueResponse("a/b", 1, "current", node, "t"),
            new KeyringEntry(1, "current", node, null),
            new KeyringResponse("a/b", List.of(new KeyringEntry(1, "current", node, null))),
            new RotateRequest(CANARY, true),
            new TokenCreated("tok_1", CANARY, "ci", List.of("read:*"), "t", "t"));

    for (Object record : records) {
      assertThat(record.toString())
          .as(record.getClass().getSimpleName())
          .doesNotContain(CANARY)
          .contains("[redacted]");
    }
  }

  @Test
  void json_stillCarriesTheValue() {
    String json =
        WireJson.mapper().writeValueAsString(new PutSecretRequest(CANARY, null, null, null, null));

    assertThat(json).contains(CANARY);
  }
}
