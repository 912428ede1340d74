package dev.keyturn.server;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.ValueChecks;
import dev.keyturn.core.ValueChecks.Check;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The hygiene checks of a supplied value on its way in (issue 16 item 0; docs/doctor.md): a
 * placeholder is refused unless the caller allows it, a weak value is stored with warnings. A text
 * value is checked as the value of the variable its name's last segment names; in a JSON object,
 * only the string fields with password-like names ({@link ValueChecks#sensitive}) are, at any
 * depth. Values the server generates are never checked. Results carry check ids only, never a
 * value.
 */
final class PutChecks {
  private static final int MAX_DEPTH = 16;

  /** What the checks found: the placeholder check ids allowed through, and the warnings. */
  record Outcome(List<String> allowedPlaceholders, List<String> warnings) {
    /** The audit detail: check ids only. */
    String detail() {
      List<String> parts = new ArrayList<>();
      if (!allowedPlaceholders.isEmpty()) {
        parts.add("placeholder allowed " + allowedPlaceholders);
      }
      if (!warnings.isEmpty()) {
        parts.add("warnings " + warnings);
      }
      return String.join("; ", parts);
    }
  }

  private PutChecks() {}

  /**
   * @throws KeyturnException.RefusedValue naming the first placeholder check the value fails, when
   *     {@code allowPlaceholder} is false
   */
  static Outcome text(SecretName name, String value, boolean allowPlaceholder) {
    String variable = name.value().substring(name.value().lastIndexOf('/') + 1);
    return decide(name, List.of(Map.entry(variable, value)), allowPlaceholder);
  }

  /** As {@link #text}, for the password-like string fields of a JSON object. */
  static Outcome json(SecretName name, JsonNode object, boolean allowPlaceholder) {
    List<Map.Entry<String, String>> fields = new ArrayList<>();
    collect(object, fields, 0);
    return decide(name, fields, allowPlaceholder);
  }

  private static void collect(JsonNode node, List<Map.Entry<String, String>> out, int depth) {
    if (depth > MAX_DEPTH || !node.isObject()) {
      return;
    }
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      JsonNode v = field.getValue();
      if (v.isString() && ValueChecks.sensitive(field.getKey())) {
        out.add(Map.entry(field.getKey(), v.asString()));
      } else if (v.isObject()) {
        collect(v, out, depth + 1);
      }
    }
  }

  private static Outcome decide(
      SecretName name, List<Map.Entry<String, String>> values, boolean allowPlaceholder) {
    Set<String> placeholders = new LinkedHashSet<>();
    Set<String> warnings = new LinkedHashSet<>();
    for (Map.Entry<String, String> v : values) {
      for (Check check : ValueChecks.placeholder(v.getValue())) {
        if (!allowPlaceholder) {
          throw new KeyturnException.RefusedValue(
              name
                  + ": "
                  + (values.size() > 1 || !v.getKey().equals(variable(name))
                      ? "field " + printable(v.getKey()) + ": "
                      : "")
                  + check.describe()
                  + " ("
                  + check.id()
                  + "); store a real value, or set allow_placeholder (--allow-placeholder)",
              check.id());
        }
        placeholders.add(check.id());
      }
      for (Check check : ValueChecks.weak(v.getKey(), v.getValue())) {
        warnings.add(check.id());
      }
    }
    return new Outcome(List.copyOf(placeholders), List.copyOf(warnings));
  }

  /** A field name as the message may show it: a caller chose it, so odd ones are not echoed. */
  private static String printable(String field) {
    return field.matches("[A-Za-z0-9_.-]{1,64}") ? field : "(a password-like field)";
  }

  private static String variable(SecretName name) {
    return name.value().substring(name.value().lastIndexOf('/') + 1);
  }
}
