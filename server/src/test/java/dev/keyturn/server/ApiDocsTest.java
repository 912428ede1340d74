package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.api.WireJson;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * docs/api.md and /v1/openapi.json against the routes, error codes and audit actions that exist.
 */
class ApiDocsTest {
  @TempDir Path dir;

  private static List<Route> routes() {
    return RouteTables.offline();
  }

  @Test
  void docs_listEveryRouteErrorCodeAndAuditAction() throws Exception {
    String doc = Files.readString(Path.of("../docs/api.md"));

    for (Route route : routes()) {
      assertThat(doc).as(route.template()).contains("`" + route.method() + " " + route.template());
      assertThat(doc).as(route.action()).contains("`" + route.action() + "`");
      String row =
          doc.lines()
              .filter(l -> l.startsWith("| `" + route.method() + " " + route.template() + "` |"))
              .findFirst()
              .orElseThrow();
      assertThat(row)
          .as("the capability column of " + route.template())
          .endsWith("| " + route.access().describe() + " | `" + route.action() + "` |");
    }
    for (Field f : ErrorCodes.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers())) {
        assertThat(doc).contains("`" + f.get(null) + "`");
      }
    }
    for (String action : List.of("version.create", "version.stage", "request.unknown")) {
      assertThat(doc).contains("`" + action + "`");
    }
  }

  @Test
  void openApi_describesExactlyTheRoutes() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      JsonNode doc =
          WireJson.mapper().readTree(server.raw("GET", "/v1/openapi.json", null, null).body());

      assertThat(doc.get("openapi").stringValue()).startsWith("3.1");
      int operations = 0;
      for (var path : doc.get("paths").properties()) {
        operations += path.getValue().size();
      }
      assertThat(operations).isEqualTo(routes().size() + OpenApi.publicRoutes().size());
      for (Route route : routes()) {
        JsonNode op = doc.get("paths").get(route.template()).get(route.method().toLowerCase());
        assertThat(op).as(route.template()).isNotNull();
        assertThat(op.get("operationId").stringValue()).isEqualTo(route.action());
        assertThat(op.get("x-capability").stringValue()).isEqualTo(route.access().describe());
        boolean token = route.access().kind() != Access.Kind.NO_TOKEN;
        assertThat(op.get("security").toString())
            .as(route.template())
            .isEqualTo(token ? "[{\"bearer\":[]}]" : "[]");
        assertThat(op.get("responses").has("401")).as(route.template()).isEqualTo(token);
        assertThat(op.get("responses").has("403"))
            .as(route.template() + " lists 403 unless it filters rows")
            .isEqualTo(!route.access().filtersRows() && route.access().capability().isPresent());
        for (var response : op.get("responses").properties()) {
          if (!response.getKey().equals("200")) {
            assertThat(response.getValue().toString())
                .as(route.template() + " " + response.getKey())
                .contains("#/components/schemas/ErrorResponse");
          }
        }
      }
      JsonNode health = doc.get("paths").get("/v1/health").get("get");
      assertThat(health.get("security").toString()).isEqualTo("[]");
      assertThat(
              doc.get("components")
                  .get("securitySchemes")
                  .get("bearer")
                  .get("scheme")
                  .stringValue())
          .isEqualTo("bearer");
      assertThat(
              doc.get("components")
                  .get("schemas")
                  .get("SecretValueResponse")
                  .get("properties")
                  .has("created_at"))
          .isTrue();
      assertThat(
              doc.get("components")
                  .get("schemas")
                  .get("PutSecretRequest")
                  .get("properties")
                  .get("cas")
                  .get("type")
                  .stringValue())
          .isEqualTo("integer");
      assertThat(doc.get("paths").get("/v1/secrets/{name}").get("put").get("responses").get("409"))
          .as("PUT /v1/secrets/{name} lists 409 for cas_mismatch")
          .isNotNull();
    }
  }
}
