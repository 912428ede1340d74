package dev.keyturn.server;

import dev.keyturn.api.WireJson;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamContext;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Reads a request body into a wire record, strictly: the body is one JSON object (not {@code
 * null}), in well-formed UTF-8 whose strings hold no lone surrogate, with no key given twice at any
 * depth, no unknown field and nothing after it; numbers are kept with every digit ({@link
 * WireJson}). A refusal is a 400 whose message names the offending field in the API's terms (its
 * snake_case name, only when it is one of the record's own fields) and never quotes the body: a
 * mistyped body may carry a secret anywhere, even as a key.
 */
final class JsonBody {
  private JsonBody() {}

  /**
   * Builds the readers of {@code types} now, so that a freshly started server answers its first
   * request with a body as fast as the next (nothing is refused or stored).
   */
  static void prepare(List<Class<?>> types) {
    byte[] empty = {'{', '}'};
    for (Class<?> type : types) {
      try {
        parse(empty, type);
      } catch (RuntimeException e) {
        // an empty body may not fit the type; its reader is built all the same
      }
    }
  }

  /**
   * @throws HttpError.ApiException 400 for anything but one valid JSON object of {@code type}
   */
  static <T> T parse(byte[] body, Class<T> type) {
    JsonNode tree;
    try {
      tree = WireJson.mapper().readTree(body);
    } catch (JacksonException e) {
      throw HttpError.badRequest(syntaxError(e, type));
    }
    if (tree == null || tree.isMissingNode()) {
      throw HttpError.badRequest("the request needs a JSON body");
    }
    if (!tree.isObject()) {
      throw HttpError.badRequest("the body must be a JSON object, not " + kind(tree));
    }
    checkUnicode(tree, type);
    try {
      return WireJson.mapper().treeToValue(tree, type);
    } catch (UnrecognizedPropertyException e) {
      List<String> known = e.getKnownPropertyIds().stream().map(Object::toString).sorted().toList();
      throw HttpError.badRequest("unknown field; this route takes " + String.join(", ", known));
    } catch (JacksonException e) {
      throw HttpError.badRequest(
          field(e.getPath(), type)
              .map(f -> "field '" + f + "' has the wrong type or form")
              .orElse("the body does not have the fields this route takes"));
    }
  }

  private static String syntaxError(JacksonException e, Class<?> type) {
    String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    if (original.startsWith("Duplicate")) {
      String where =
          e instanceof StreamReadException s && s.processor() != null
              ? topLevelField(s.processor().streamReadContext(), type)
              : "";
      return where.isEmpty()
          ? "the body gives a key twice"
          : "field '" + where + "' is given twice or repeats a key inside it";
    }
    if (original.contains("UTF-8") || original.contains("UTF8")) {
      return "the body is not valid UTF-8";
    }
    String at =
        e.getLocation() == null
            ? ""
            : " (line "
                + e.getLocation().getLineNr()
                + ", column "
                + e.getLocation().getColumnNr()
                + ")";
    return "the body is not valid JSON" + at;
  }

  /** The body's top-level field the parser was in, if it is one of {@code type}'s own fields. */
  private static String topLevelField(TokenStreamContext context, Class<?> type) {
    TokenStreamContext c = context;
    while (c != null && c.getParent() != null && c.getParent().getParent() != null) {
      c = c.getParent();
    }
    if (c == null || c.currentName() == null) {
      return "";
    }
    return fields(type).contains(c.currentName()) ? c.currentName() : "";
  }

  /** The field a binding error is about: declared names only, stopping at the first other key. */
  private static java.util.Optional<String> field(
      List<JacksonException.Reference> path, Class<?> type) {
    StringBuilder out = new StringBuilder();
    Class<?> current = type;
    for (JacksonException.Reference ref : path) {
      if (ref.getIndex() >= 0) {
        out.append('[').append(ref.getIndex()).append(']');
        continue;
      }
      String name = ref.getPropertyName();
      if (current == null || name == null || !fields(current).contains(name)) {
        break;
      }
      out.append(out.isEmpty() ? "" : ".").append(name);
      current = componentType(current, name);
    }
    return out.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(out.toString());
  }

  private static Set<String> fields(Class<?> type) {
    if (!type.isRecord()) {
      return Set.of();
    }
    return Arrays.stream(type.getRecordComponents())
        .map(c -> snake(c.getName()))
        .collect(Collectors.toSet());
  }

  /** The record type of a component (or of a list's elements), to name nested fields. */
  private static Class<?> componentType(Class<?> type, String field) {
    for (RecordComponent c : type.getRecordComponents()) {
      if (snake(c.getName()).equals(field)) {
        if (c.getType().isRecord()) {
          return c.getType();
        }
        if (List.class.isAssignableFrom(c.getType())
            && c.getGenericType() instanceof java.lang.reflect.ParameterizedType p
            && p.getActualTypeArguments()[0] instanceof Class<?> element
            && element.isRecord()) {
          return element;
        }
        return null;
      }
    }
    return null;
  }

  /** Refuses any string or key that is not valid Unicode (a lone UTF-16 surrogate). */
  private static void checkUnicode(JsonNode tree, Class<?> type) {
    for (Map.Entry<String, JsonNode> e : tree.properties()) {
      boolean known = fields(type).contains(e.getKey());
      if (!wellFormed(e.getKey()) || !wellFormedDeep(e.getValue())) {
        throw HttpError.badRequest(
            (known ? "field '" + e.getKey() + "'" : "the body")
                + " holds text that is not valid Unicode (a lone surrogate)");
      }
    }
  }

  private static boolean wellFormedDeep(JsonNode node) {
    if (node.isString()) {
      return wellFormed(node.asString());
    }
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (!wellFormed(e.getKey()) || !wellFormedDeep(e.getValue())) {
          return false;
        }
      }
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        if (!wellFormedDeep(element)) {
          return false;
        }
      }
    }
    return true;
  }

  /** True when every surrogate in {@code s} is half of a high-low pair. */
  static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /** The wire name of a record component, as {@link WireJson}'s snake_case strategy makes it. */
  private static String snake(String camel) {
    return camel.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT);
  }

  private static String kind(JsonNode node) {
    if (node.isNull()) {
      return "null";
    }
    if (node.isArray()) {
      return "an array";
    }
    if (node.isString()) {
      return "a string";
    }
    if (node.isNumber()) {
      return "a number";
    }
    return "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }
}
