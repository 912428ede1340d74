package dev.keyturn.server;

import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.HealthResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.KeyturnVersion;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;

/**
 * Builds {@code /v1/openapi.json} (OpenAPI 3.1) from the {@link Routes} table and the wire records,
 * so the document lists exactly the routes that exist.
 */
final class OpenApi {
  private OpenApi() {}

  static byte[] document(List<Route> routes) {
    Map<String, Object> schemas = new TreeMap<>();
    Map<String, Map<String, Object>> paths = new TreeMap<>();
    paths.put(
        "/v1/health",
        Map.of(
            "get",
            operation(
                "health",
                "none",
                "Liveness; needs no token and reveals nothing secret.",
                null,
                HealthResponse.class,
                schemas,
                false)));
    for (Route route : routes) {
      Map<String, Object> op =
          operation(
              route.action(),
              route.access().describe(),
              route.summary(),
              route.requestType(),
              route.responseType(),
              schemas,
              true);
      if (route.tail() != Route.Tail.NONE) {
        String param = route.tail() == Route.Tail.NAME ? "name" : "id";
        op.put(
            "parameters",
            List.of(
                Map.of(
                    "name",
                    param,
                    "in",
                    "path",
                    "required",
                    true,
                    "description",
                    route.tail() == Route.Tail.NAME
                        ? "A canonical secret name; its '/' are not encoded."
                        : "A token id.",
                    "schema",
                    Map.of("type", "string"))));
      }
      paths
          .computeIfAbsent(route.template(), k -> new TreeMap<>())
          .put(route.method().toLowerCase(java.util.Locale.ROOT), op);
    }
    schema(ErrorResponse.class, schemas);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("openapi", "3.1.0");
    doc.put("info", Map.of("title", "Keyturn", "version", KeyturnVersion.get()));
    doc.put("paths", paths);
    doc.put(
        "components",
        Map.of(
            "schemas",
            schemas,
            "securitySchemes",
            Map.of("bearer", Map.of("type", "http", "scheme", "bearer"))));
    return WireJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(doc);
  }

  private static Map<String, Object> operation(
      String action,
      String capability,
      String summary,
      Class<?> requestType,
      Class<?> responseType,
      Map<String, Object> schemas,
      boolean secured) {
    Map<String, Object> op = new LinkedHashMap<>();
    op.put("operationId", action);
    op.put("summary", summary);
    op.put("x-capability", capability);
    op.put("x-audit-action", secured ? action : "not audited");
    if (secured) {
      op.put("security", List.of(Map.of("bearer", List.of())));
    }
    if (requestType != null) {
      op.put(
          "requestBody",
          Map.of(
              "required",
              true,
              "content",
              Map.of("application/json", Map.of("schema", schema(requestType, schemas)))));
    }
    Map<String, Object> responses = new LinkedHashMap<>();
    responses.put(
        "200",
        Map.of(
            "description",
            "OK",
            "content",
            Map.of("application/json", Map.of("schema", schema(responseType, schemas)))));
    responses.put(
        "default",
        Map.of(
            "description",
            "An error; see docs/api.md for the codes",
            "content",
            Map.of(
                "application/json",
                Map.of("schema", Map.of("$ref", "#/components/schemas/ErrorResponse")))));
    op.put("responses", responses);
    return op;
  }

  private static Object schema(Type type, Map<String, Object> schemas) {
    if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
      return Map.of("type", "array", "items", schema(p.getActualTypeArguments()[0], schemas));
    }
    if (type instanceof ParameterizedType p && p.getRawType() == Map.class) {
      return Map.of(
          "type", "object", "additionalProperties", schema(p.getActualTypeArguments()[1], schemas));
    }
    Class<?> c = (Class<?>) type;
    if (c == String.class) {
      return Map.of("type", "string");
    }
    if (c == int.class || c == Integer.class || c == long.class || c == Long.class) {
      return Map.of("type", "integer");
    }
    if (c == boolean.class || c == Boolean.class) {
      return Map.of("type", "boolean");
    }
    if (c == JsonNode.class) {
      return Map.of("description", "a string, or a JSON object for structured values");
    }
    if (c.isRecord()) {
      if (!schemas.containsKey(c.getSimpleName())) {
        schemas.put(c.getSimpleName(), Map.of());
        Map<String, Object> properties = new LinkedHashMap<>();
        for (RecordComponent component : c.getRecordComponents()) {
          properties.put(snake(component.getName()), schema(component.getGenericType(), schemas));
        }
        schemas.put(c.getSimpleName(), Map.of("type", "object", "properties", properties));
      }
      return Map.of("$ref", "#/components/schemas/" + c.getSimpleName());
    }
    throw new IllegalArgumentException("no schema for " + c);
  }

  private static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }
}
