package dev.keyturn.server;

import dev.keyturn.api.HealthResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.KeyturnVersion;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;

/**
 * Builds {@code /v1/openapi.json} (OpenAPI 3.1) from the {@link Routes} table and the wire records,
 * so the document lists exactly the routes that exist. Each operation's security requirement and
 * its error answers come from the route's {@link Access} declaration: a route that needs a token
 * requires the bearer scheme and lists 401 and 429, one that needs a capability lists 403, and so
 * on; every error has the one error body. The document passes {@code redocly lint} (recommended
 * rules) without a warning ({@code OpenApiLintTest}).
 */
final class OpenApi {
  private static final String ERROR = "#/components/schemas/ErrorResponse";

  /** The error answers an operation may list, each with the one error body. */
  private static final Map<String, String> ERRORS =
      Map.of(
          "400",
          "A request that cannot be parsed or is not valid: a bad name, body, query parameter or"
              + " header (code invalid_request or invalid_name).",
          "401",
          "No token, or an unknown, expired or revoked one (code unauthenticated).",
          "403",
          "The token lacks what the route declares (code forbidden).",
          "404",
          "No such secret, version, rule, rotation or token (code not_found).",
          "409",
          "The change conflicts with the current state, e.g. a stage move the rules refuse or a"
              + " rotation in progress (code conflict; rotation_id names the rotation), or a"
              + " compare-and-set write whose cas is not the current version (code"
              + " cas_mismatch).",
          "413",
          "The body is larger than 1 MiB (code payload_too_large).",
          "429",
          "Too many failed authentications from this address; see Retry-After (code"
              + " too_many_requests).",
          "431",
          "The request headers are too large (code payload_too_large).");

  private OpenApi() {}

  /**
   * The routes that {@link ApiHandler} answers itself, before the table's dispatch: no token, not
   * audited. Declared here only to be described; their handlers are never called.
   */
  static List<Route> publicRoutes() {
    return List.of(
        new Route(
            "GET",
            "/v1/health",
            Route.Tail.NONE,
            "health",
            Access.noToken(),
            "Liveness; reveals nothing secret.",
            null,
            HealthResponse.class,
            ex -> null),
        new Route(
            "GET",
            "/v1/openapi.json",
            Route.Tail.NONE,
            "openapi",
            Access.noToken(),
            "This document.",
            null,
            JsonNode.class,
            ex -> null),
        new Route(
            "GET",
            "/metrics",
            Route.Tail.NONE,
            "metrics",
            Access.noToken(),
            "Prometheus metrics; no label carries anything a client sent.",
            null,
            String.class,
            ex -> null));
  }

  static byte[] document(List<Route> routes) {
    Map<String, Object> schemas = new TreeMap<>();
    Map<String, Map<String, Object>> paths = new TreeMap<>();
    List<Route> all = new ArrayList<>(publicRoutes());
    all.addAll(routes);
    for (Route route : all) {
      paths
          .computeIfAbsent(route.template(), k -> new TreeMap<>())
          .put(route.method().toLowerCase(Locale.ROOT), operation(route, schemas));
    }
    schemas.put(
        "ErrorResponse",
        Map.of(
            "type",
            "object",
            "required",
            List.of("error"),
            "properties",
            Map.of("error", Map.of("$ref", "#/components/schemas/ErrorBody"))));
    schemas.put(
        "ErrorBody",
        Map.of(
            "type",
            "object",
            "required",
            List.of("code", "message"),
            "properties",
            Map.of(
                "code",
                Map.of("type", "string", "description", "A stable code; see docs/api.md."),
                "message",
                Map.of("type", "string", "description", "Names objects and states, never values."),
                "rotation_id",
                Map.of("type", "string", "description", "With 409: the rotation in progress."))));
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("title", "Keyturn");
    info.put("version", KeyturnVersion.get());
    info.put(
        "description",
        "The Keyturn HTTP API: secrets, versions and stages, rotation rules and rotations, tokens"
            + " and the audit log. Each operation's x-capability is the route table's access"
            + " declaration; docs/api.md explains every route.");
    // The repository has no license file yet: assert none (SPDX NOASSERTION) until it has one.
    info.put(
        "license", Map.of("name", "No license has been chosen yet", "identifier", "NOASSERTION"));
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("openapi", "3.1.0");
    doc.put("info", info);
    doc.put(
        "servers",
        List.of(
            Map.of("url", "/", "description", "The Keyturn server that serves this document.")));
    doc.put("security", List.of(Map.of("bearer", List.of())));
    doc.put("paths", paths);
    doc.put(
        "components",
        Map.of(
            "schemas",
            schemas,
            "securitySchemes",
            Map.of(
                "bearer",
                Map.of(
                    "type",
                    "http",
                    "scheme",
                    "bearer",
                    "description",
                    "A Keyturn token (kt_...), sent as Authorization: Bearer TOKEN."))));
    return WireJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(doc);
  }

  private static Map<String, Object> operation(Route route, Map<String, Object> schemas) {
    Access access = route.access();
    boolean token = access.kind() != Access.Kind.NO_TOKEN;
    Map<String, Object> op = new LinkedHashMap<>();
    op.put("operationId", route.action());
    op.put("summary", route.summary());
    op.put("x-capability", access.describe());
    op.put("x-audit-action", token ? route.action() : "not audited");
    op.put("security", token ? List.of(Map.of("bearer", List.of())) : List.of());
    List<Object> parameters = new ArrayList<>();
    if (route.tail() != Route.Tail.NONE) {
      boolean name = route.tail() == Route.Tail.NAME;
      parameters.add(
          Map.of(
              "name",
              name ? "name" : "id",
              "in",
              "path",
              "required",
              true,
              "description",
              name ? "A canonical secret name; its '/' are not encoded." : "The object's id.",
              "schema",
              Map.of("type", "string")));
    }
    if (access.subject() instanceof Access.Subject.Folder folder) {
      parameters.add(
          Map.of(
              "name",
              folder.param(),
              "in",
              "query",
              "required",
              false,
              "description",
              "A folder (a canonical name, or empty for every name); the route acts on the names"
                  + " below it.",
              "schema",
              Map.of("type", "string")));
    }
    if (access.subject() instanceof Access.Subject.Rows rows && !rows.inBody()) {
      parameters.add(
          Map.of(
              "name",
              rows.param(),
              "in",
              "query",
              "required",
              false,
              "description",
              "Narrows the list; rows the token may not see are left out.",
              "schema",
              Map.of("type", "string")));
    }
    if (!parameters.isEmpty()) {
      op.put("parameters", parameters);
    }
    if (route.requestType() != null) {
      op.put(
          "requestBody",
          Map.of(
              "required",
              true,
              "content",
              Map.of("application/json", Map.of("schema", schema(route.requestType(), schemas)))));
    }
    Map<String, Object> responses = new LinkedHashMap<>();
    responses.put("200", ok(route.responseType(), schemas));
    for (String status : errors(route)) {
      responses.put(
          status,
          Map.of(
              "description",
              ERRORS.get(status),
              "content",
              Map.of("application/json", Map.of("schema", Map.of("$ref", ERROR)))));
    }
    responses.put(
        "default",
        Map.of(
            "description",
            "A server-side failure: 500 internal, or 503 unavailable when the store or the audit"
                + " log cannot be written (nothing was served; retry).",
            "content",
            Map.of("application/json", Map.of("schema", Map.of("$ref", ERROR)))));
    op.put("responses", responses);
    return op;
  }

  /** The 4xx answers a route can give, read from its declaration and its shape. */
  static List<String> errors(Route route) {
    Access access = route.access();
    List<String> out = new ArrayList<>(List.of("400"));
    if (access.kind() != Access.Kind.NO_TOKEN) {
      out.add("401");
    }
    if (access.kind() == Access.Kind.CAPABILITY && !access.filtersRows()) {
      out.add("403");
    }
    if (route.tail() != Route.Tail.NONE) {
      out.add("404");
      if (!route.method().equals("GET")) {
        out.add("409");
      }
    }
    if (route.requestType() != null) {
      out.add("413");
    }
    if (access.kind() != Access.Kind.NO_TOKEN) {
      out.add("429");
    }
    out.add("431");
    return out;
  }

  private static Map<String, Object> ok(Class<?> type, Map<String, Object> schemas) {
    if (type == EventStream.class) {
      return Map.of(
          "description",
          "A stream of Server-Sent Events: `version` events with JSON data {name, version, stage,"
              + " at}, `reset` events, and comment lines; see docs/api.md.",
          "content",
          Map.of("text/event-stream", Map.of("schema", Map.of("type", "string"))));
    }
    if (type == String.class) {
      return Map.of(
          "description",
          "OK",
          "content",
          Map.of("text/plain", Map.of("schema", Map.of("type", "string"))));
    }
    Object schema = type == JsonNode.class ? Map.of("type", "object") : schema(type, schemas);
    return Map.of(
        "description", "OK", "content", Map.of("application/json", Map.of("schema", schema)));
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
    if (c == BackupDocumentStream.class) {
      return Map.of(
          "type", "object", "description", "a backup document (format keyturn-backup, version 1)");
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
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }
}
