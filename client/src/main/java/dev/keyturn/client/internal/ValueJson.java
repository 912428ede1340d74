package dev.keyturn.client.internal;

import dev.keyturn.api.WireJson;
import dev.keyturn.client.KeyturnInvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * JSON values of secrets, kept as compact UTF-8 JSON text so that no Jackson type reaches the SDK's
 * public API. Errors never quote the value. Public only for the SDK's own modules.
 */
public final class ValueJson {
  private ValueJson() {}

  /**
   * {@code text} as compact JSON, when it is one JSON object.
   *
   * @throws KeyturnInvalidRequestException otherwise (the message does not quote it)
   */
  public static byte[] compactObject(String text) {
    JsonNode node;
    try {
      node = WireJson.mapper().readTree(text);
    } catch (JacksonException e) {
      throw new KeyturnInvalidRequestException("invalid_request", "a JSON value is not valid JSON");
    }
    return compact(node);
  }

  /**
   * A JSON object node as compact UTF-8 JSON.
   *
   * @throws KeyturnInvalidRequestException when it is not an object
   */
  public static byte[] compact(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new KeyturnInvalidRequestException(
          "invalid_request", "a JSON value must be one JSON object");
    }
    return WireJson.mapper().writeValueAsBytes(node);
  }

  /** The JSON object in {@code utf8} as a node, for sending. */
  public static JsonNode tree(byte[] utf8) {
    return WireJson.mapper().readTree(utf8);
  }

  /** The top-level fields of the JSON object in {@code utf8}, as text, in document order. */
  public static Map<String, String> fields(byte[] utf8) {
    JsonNode node = WireJson.mapper().readTree(utf8);
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      JsonNode v = e.getValue();
      if (v == null || v.isNull()) {
        continue;
      }
      out.put(
          e.getKey(),
          v.isString()
              ? v.stringValue()
              : v.isValueNode()
                  ? v.asString()
                  : new String(WireJson.mapper().writeValueAsBytes(v), StandardCharsets.UTF_8));
    }
    return java.util.Collections.unmodifiableMap(out);
  }
}
