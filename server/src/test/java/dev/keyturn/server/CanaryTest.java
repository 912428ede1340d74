package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.client.internal.WireClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Invariant 5 at rest: a canary value pushed through the server never appears in the database file,
 * its WAL, the server log or an error body, in the clear, hex or base64.
 */
class CanaryTest {
  @TempDir Path dir;

  @Test
  void canary_isAbsentFromDatabaseWalLogsAndErrors() throws Exception {
    String canary = "CANARY-" + HexFormat.of().formatHex(java.security.SecureRandom.getSeed(8));
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    Path data = dir.resolve("data");
    List<String> errorBodies = new ArrayList<>();
    try (RunningServer server = RunningServer.start(data)) {
      WireClient client = server.client();
      String token = server.rootToken();

      client.put("canary/A", new PutSecretRequest(canary, null, null, null, null));
      client.put(
          "canary/B",
          new PutSecretRequest(
              null,
              WireJson.mapper().readTree("{\"password\":\"" + canary + "\"}"),
              null,
              "1h",
              null));
      client.put("canary/B", new PutSecretRequest(canary + "-2", null, null, "1h", null));
      assertThat(client.get("canary/A").value().stringValue()).isEqualTo(canary);
      client.keyring("canary/B");
      for (String body :
          List.of(
              "{\"value\": " + canary + "}",
              "{\"value\": [\"" + canary + "\"]}",
              "{\"" + canary + "\": 1}",
              "{\"generate\": \"" + canary + "\"}",
              "{\"value\": \"" + canary + "\", \"grace\": \"" + canary + "\"}",
              "{\"value\": \"" + canary + "\", \"stage\": \"" + canary + "\"}")) {
        errorBodies.add(
            server
                .raw("PUT", "/v1/secrets/canary/C", token, body.getBytes(StandardCharsets.UTF_8))
                .body());
      }
      // Consumers hold names and version numbers only (issue 18 item 2).
      client.putConsumer(
          "web-1.run",
          new dev.keyturn.api.ConsumerRequest(
              "web-1: app",
              "run",
              List.of(
                  new dev.keyturn.api.ConsumerHolding("canary/A", 1, List.of()),
                  new dev.keyturn.api.ConsumerHolding("canary/B", 2, List.of(2, 1))),
              90));
      assertThat(client.consumers("canary/B").consumers()).hasSize(1);
      errorBodies.add(
          server
              .raw(
                  "PUT",
                  "/v1/consumers/web-2",
                  token,
                  ("{\"name\":\"x\",\"kind\":\""
                          + canary
                          + "\",\"secrets\":[{\"name\":\"canary/A\",\"using\":1}],"
                          + "\"ttl_seconds\":90}")
                      .getBytes(StandardCharsets.UTF_8))
              .body());
      client.deleteConsumer("web-1.run");
      errorBodies.add(server.raw("GET", "/v1/secrets/" + canary + "/%2e", token, null).body());
      errorBodies.add(server.raw("GET", "/v1/secrets/x", canary, null).body());

      assertAbsent(canary, filesIn(data), "while running");
    } finally {
      root.detachAppender(logs);
    }

    assertAbsent(canary, filesIn(data), "after shutdown");
    StringBuilder logText = new StringBuilder();
    for (ILoggingEvent e : logs.list) {
      logText.append(e.getFormattedMessage()).append('\n');
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        logText.append(t.getMessage()).append('\n');
      }
    }
    assertThat(logs.list).as("the server logged its start").isNotEmpty();
    for (String form : forms(canary)) {
      assertThat(logText.toString()).doesNotContain(form);
      for (String body : errorBodies) {
        assertThat(body).contains("\"error\"").doesNotContain(form);
      }
    }
  }

  private static List<Path> filesIn(Path data) throws Exception {
    try (Stream<Path> files = Files.list(data)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  private static void assertAbsent(String canary, List<Path> files, String when) throws Exception {
    assertThat(files).extracting(p -> p.getFileName().toString()).contains("keyturn.db");
    for (Path file : files) {
      String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
      for (String form : forms(canary)) {
        assertThat(bytes).as(file.getFileName() + " " + when).doesNotContain(form);
      }
    }
  }

  private static List<String> forms(String canary) {
    byte[] raw = canary.getBytes(StandardCharsets.UTF_8);
    return List.of(
        canary,
        HexFormat.of().formatHex(raw),
        Base64.getEncoder().encodeToString(raw).substring(0, 16));
  }
}
