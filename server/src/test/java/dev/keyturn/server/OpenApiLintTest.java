package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.keyturn.api.WireJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /v1/openapi.json} against the standard linter, {@code redocly lint} with its
 * recommended rules: no error and no warning. The linter ({@code @redocly/cli}, pinned) is
 * installed by {@code .ci/run} into {@code target/redocly} at the repository's root; without it the
 * test is skipped, and with {@code KEYTURN_IT=1} it fails.
 */
class OpenApiLintTest {
  static final Path LINTER = Path.of("../target/redocly/node_modules/.bin/redocly");

  @Test
  void openApiDocument_passesRedoclyRecommendedRules_withoutAWarning() throws Exception {
    Path document = Path.of("target/openapi.json");
    Files.write(document, OpenApi.document(RouteTables.offline()));
    boolean required = "1".equals(System.getenv("KEYTURN_IT"));
    assumeTrue(
        required || Files.isExecutable(LINTER),
        "redocly is not installed in target/redocly (.ci/run installs it)");
    assertThat(LINTER).as("redocly, which .ci/run installs").isExecutable();
    Path config = Files.writeString(Path.of("target/redocly.yaml"), "extends:\n  - recommended\n");

    Process lint =
        new ProcessBuilder(
                List.of(
                    LINTER.toString(),
                    "lint",
                    "--config",
                    config.toString(),
                    "--format",
                    "json",
                    document.toString()))
            .redirectErrorStream(false)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String out = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(lint.waitFor(5, TimeUnit.MINUTES)).isTrue();

    JsonNode report = WireJson.mapper().readTree(out);
    assertThat(report.get("problems").toString()).as("redocly's problems").isEqualTo("[]");
    assertThat(report.get("totals").get("errors").asInt()).isZero();
    assertThat(report.get("totals").get("warnings").asInt()).isZero();
    assertThat(lint.exitValue()).isZero();
  }
}
