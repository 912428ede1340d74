package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.client.internal.WireClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code keyturn server --log-format json} in a child JVM: every line it prints is a JSON object,
 * each API request's log line carries the request id that its answer and its audit record carry,
 * and no value or token is ever printed.
 */
class JsonLogTest {
  private static final String CANARY = "canary-json-log-8813";
  private static final Pattern LISTENING = Pattern.compile("listening on http://127.0.0.1:(\\d+)");
  @TempDir Path dir;

  @Test
  void jsonLog_linesParse_andShareTheRequestIdWithTheAnswerAndTheAudit() throws Exception {
    Path data = dir.resolve("data");
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.keyturn.server.Main",
                "--data",
                data.toString(),
                "--listen",
                "127.0.0.1:0",
                "--log-format",
                "json")
            .redirectError(dir.resolve("stderr").toFile())
            .start();
    List<String> lines = new ArrayList<>();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    int port = -1;
    try {
      String line;
      while (port < 0 && (line = out.readLine()) != null) {
        lines.add(line);
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
        }
      }
      assertThat(port).as("started: " + lines).isPositive();
      String rootToken = Files.readString(data.resolve("root.token")).strip();
      String url = "http://127.0.0.1:" + port;
      WireClient root = WireClient.builder().address(url).token(rootToken).build();
      root.put("log/KEY", new PutSecretRequest(CANARY, null, null, null, null));

      HttpResponse<String> chosen = get(url, rootToken, Optional.of("client-req.1_A"));
      HttpResponse<String> hostile = get(url, rootToken, Optional.of("x".repeat(65)));
      HttpResponse<String> wrongToken = get(url, "kt_" + CANARY, Optional.of("bad id;" + CANARY));
      List<AuditRecordInfo> records =
          root.audit(Optional.empty(), Optional.of("log/KEY"), Optional.empty(), Optional.empty())
              .records();

      // SIGTERM through the handle, which (unlike Process.destroy) leaves stdout open to read.
      process.toHandle().destroy();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      while ((line = out.readLine()) != null) {
        lines.add(line);
      }

      assertThat(chosen.body()).contains(CANARY);
      assertThat(requestId(chosen)).isEqualTo("client-req.1_A");
      assertThat(requestId(hostile)).as("too long: replaced").matches("[0-9a-f]{24}");
      assertThat(requestId(wrongToken)).as("not plain: replaced").matches("[0-9a-f]{24}");
      List<JsonNode> json = new ArrayList<>();
      for (String l : lines) {
        json.add(WireJson.mapper().readTree(l));
      }
      assertThat(json).allSatisfy(j -> assertThat(j.isObject()).isTrue());
      for (HttpResponse<String> r : List.of(chosen, hostile, wrongToken)) {
        String id = requestId(r);
        assertThat(json)
            .filteredOn(j -> j.path("request_id").asString("").equals(id))
            .as("the access line of " + id)
            .singleElement()
            .satisfies(j -> {
              assertThat(j.path("action").asString("")).isEqualTo("secret.read");
              assertThat(j.path("status").asInt()).isEqualTo(r.statusCode());
              assertThat(j.path("logger_name").asString("")).isEqualTo("dev.keyturn.server.access");
            });
        assertThat(records)
            .filteredOn(a -> a.action().equals("secret.read"))
            .filteredOn(a -> a.detail().endsWith("request=" + id))
            .as("the audit record of " + id)
            .singleElement()
            .satisfies(a ->
                assertThat(a.result()).isEqualTo(r.statusCode() == 200 ? "ok" : "unauthenticated"));
      }
      String all = String.join("\n", lines) + Files.readString(dir.resolve("stderr"));
      assertThat(all).doesNotContain(CANARY).doesNotContain(rootToken);
    } finally {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void logFormat_otherThanTextOrJson_isAUsageError() {
    assertThat(Main.run(new String[] {"--log-format", "xml"})).isEqualTo(2);
  }

  private static HttpResponse<String> get(String url, String token, Optional<String> requestId)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url + "/v1/secrets/log/KEY"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token);
    requestId.ifPresent(id -> request.header(RequestIds.HEADER, id));
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  private static String requestId(HttpResponse<String> response) {
    return response.headers().firstValue(RequestIds.HEADER).orElseThrow();
  }
}
