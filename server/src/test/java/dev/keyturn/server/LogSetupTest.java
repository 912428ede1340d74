package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's built-in log setup ({@link LogSetup}, found by logback as a service) writes the
 * documented line format with the request id, and steps aside for an operator's own configuration
 * named by {@code -Dlogback.configurationFile}.
 */
class LogSetupTest {
  @TempDir Path dir;

  private static void get(ChildServer server, String path, String requestId) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .header("X-Request-Id", requestId)
            .build(),
        HttpResponse.BodyHandlers.discarding());
  }

  private static String waitFor(ChildServer server, String text) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!server.output().toString().contains(text) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    return server.output().toString();
  }

  @Test
  void builtInSetup_writesTheDocumentedLines_withTheRequestId() throws Exception {
    ChildServer server = ChildServer.start(dir.resolve("data"));
    try {
      get(server, "/v1/secrets/app/x", "req-built-in-1");
      String log = waitFor(server, "req-built-in-1");
      assertThat(log)
          .containsPattern(
              "(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  KeyturnServer -"
                  + " Keyturn listening on ")
          .containsPattern(
              "(?m)^\\S+ INFO  access \\[req-built-in-1\\] - action=secret.read status=401"
                  + " duration_ms=\\d+$");
      // The libraries' chatter stays at WARN: no INFO line from Jetty, Hikari or Flyway.
      assertThat(log).doesNotContainPattern("(?m)^\\S+ INFO  (HikariDataSource|Server|Flyway)");
    } finally {
      server.kill();
    }
  }

  @Test
  void operatorsConfigurationFile_replacesTheBuiltInSetup() throws Exception {
    Path config = dir.resolve("logback.xml");
    Files.writeString(
        config,
        """
        <configuration>
          <turboFilter class="dev.keyturn.server.ClientTextLogFilter"/>
          <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>operator|%level|%logger{0}|%X{request_id}|%msg%n</pattern></encoder>
          </appender>
          <logger name="dev.keyturn.server.access" level="WARN"/>
          <root level="INFO"><appender-ref ref="OUT"/></root>
        </configuration>
        """);
    ChildServer server =
        ChildServer.start(
            List.of("-Dlogback.configurationFile=" + config), dir.resolve("data"), List.of());
    try {
      get(server, "/v1/secrets/app/x", "req-operator-1");
      get(server, "/v1/health", "req-operator-2");
      String log = waitFor(server, "operator|INFO|KeyturnServer||Keyturn listening on ");
      assertThat(log).contains("operator|INFO|KeyturnServer||Keyturn listening on ");
      // Its own level for the access log holds, and nothing is written twice in the built-in form.
      assertThat(log).doesNotContain("req-operator-1").doesNotContain("INFO  KeyturnServer -");
    } finally {
      server.kill();
    }
  }

  @Test
  void configurationFileThatDoesNotExist_keepsTheBuiltInSetup_andNoTokenReachesTheLog()
      throws Exception {
    // logback's own fallback would be its basic setup at DEBUG, where Jetty writes each request's
    // headers, the bearer token among them, to the log.
    Path missing = dir.resolve("no-such-logback.xml");
    ChildServer server =
        ChildServer.start(
            List.of("-Dlogback.configurationFile=" + missing), dir.resolve("data"), List.of());
    try {
      HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + server.port() + "/v1/secrets/app/x"))
                  .header("X-Request-Id", "req-missing-1")
                  .header("Authorization", "Bearer kt_canaryLogSetupToken")
                  .build(),
              HttpResponse.BodyHandlers.discarding());

      String log = waitFor(server, "req-missing-1");

      assertThat(log)
          .contains("names no file that exists: the built-in log setup is used")
          .containsPattern("(?m)^\\S+ INFO  KeyturnServer - Keyturn listening on ")
          .containsPattern("(?m)^\\S+ INFO  access \\[req-missing-1\\] - action=secret.read")
          .doesNotContain("kt_canaryLogSetupToken")
          .doesNotContain(" DEBUG ");
    } finally {
      server.kill();
    }
  }

  @Test
  void found_looksAsLogbackDoes() throws Exception {
    Path file = Files.writeString(dir.resolve("mine.xml"), "<configuration/>");

    assertThat(LogSetup.found(file.toString())).isTrue();
    assertThat(LogSetup.found(file.toUri().toString())).isTrue();
    assertThat(LogSetup.found(dir.resolve("missing.xml").toString())).isFalse();
    assertThat(LogSetup.found(dir.toString())).as("a folder").isFalse();
  }
}
