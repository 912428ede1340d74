package dev.keyturn.store;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RuleCodec;
import dev.keyturn.core.SecretName;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** A rule's stored text: the JSON of its {@link RuleCodec} document. Thread-safe. */
final class RuleJson {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final TypeReference<Map<String, Object>> DOCUMENT = new TypeReference<>() {};

  /** Rules parsed lately, each in the slot its name and text hash to (a fixed number of them). */
  private static final AtomicReferenceArray<Parsed> PARSED = new AtomicReferenceArray<>(1024);

  private record Parsed(SecretName secret, String text, RotationRule rule) {}

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
   * The rule {@code text} stores, parsed again only when the text differs from the last parsed for
   * its slot: a rotation reads its rule on every step, and parsing it each time was about 5 % of a
   * rotation's CPU time. The row is still read and checked on every step, so an edit between two
   * steps is seen by the next one; what is kept is the result of parsing equal text, which the
   * parse decides entirely (a rule is an immutable value).
   *
   * @throws KeyturnException.InvalidInput if {@code text} is not a stored rule
   */
  static RotationRule read(SecretName secret, String text) {
    int slot = (31 * secret.hashCode() + text.hashCode()) & (PARSED.length() - 1);
    Parsed last = PARSED.get(slot);
    if (last != null && last.secret().equals(secret) && last.text().equals(text)) {
      return last.rule();
    }
    RotationRule rule = parse(secret, text);
    PARSED.set(slot, new Parsed(secret, text, rule));
    return rule;
  }

  private static RotationRule parse(SecretName secret, String text) {
    Map<String, Object> doc;
    try {
      doc = JSON.readValue(text, DOCUMENT);
    } catch (JacksonException e) {
      throw new KeyturnException.InvalidInput("the stored rule of " + secret + " is not JSON");
    }
    return RuleCodec.fromDocument(secret, doc);
  }
}
