package dev.keyturn.store;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RuleCodec;
import dev.keyturn.core.SecretName;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** A rule's stored text: the JSON of its {@link RuleCodec} document. Thread-safe. */
final class RuleJson {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final TypeReference<Map<String, Object>> DOCUMENT = new TypeReference<>() {};

  private RuleJson() {}

  private static volatile boolean warm;

  /**
   * Builds the mapper's serializers and deserializers now (at store start) rather than in the first
   * request that reads a rule, which would otherwise pay for them. Only the first call does any
   * work: every unit of work makes a rotation store, and a rule written and read back for each was
   * 3 % of a rotation's CPU time.
   */
  static void warmUp() {
    if (warm) {
      return;
    }
    SecretName name = SecretName.of("keyturn/warm-up");
    read(name, write(RotationRule.builder(name).build()));
    warm = true;
  }

  static String write(RotationRule rule) {
    return JSON.writeValueAsString(RuleCodec.toDocument(rule));
  }

  /**
   * @throws KeyturnException.InvalidInput if {@code text} is not a stored rule
   */
  static RotationRule read(SecretName secret, String text) {
    Map<String, Object> doc;
    try {
      doc = JSON.readValue(text, DOCUMENT);
    } catch (JacksonException e) {
      throw new KeyturnException.InvalidInput("the stored rule of " + secret + " is not JSON");
    }
    return RuleCodec.fromDocument(secret, doc);
  }
}
