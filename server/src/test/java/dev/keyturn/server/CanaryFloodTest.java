package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * DESIGN invariant 5 under load: 1,000 canary values pushed through every route, success and error
 * paths alike, never show up in the audit log, the server log, an error body or /metrics.
 */
class CanaryFloodTest {
  private static final String MARK = "cnry";
  @TempDir Path dir;

  @Test
  void thousandCanaries_throughEveryRoute_neverLeak() throws Exception {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    logs.start();
    root.addAppender(logs);
    Path data = dir.resolve("data");
    List<String> errorBodies = Collections.synchronizedList(new ArrayList<>());
    String metrics;
    String audit;
    ServerConfig base = RunningServer.config(data, java.util.Optional.empty());
    ServerConfig config =
        base.toBuilder().authThrottle(1_000_000, java.time.Duration.ofSeconds(1)).build();
    try (RunningServer server = RunningServer.start(config, java.time.Clock.systemUTC())) {
      String token = server.rootToken();
      ExecutorService pool = Executors.newFixedThreadPool(16);
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        int n = i;
        futures.add(pool.submit(() -> push(server, token, n, errorBodies)));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      pool.shutdown();
      metrics = server.raw("GET", "/metrics", null, null).body();
      audit = auditText(data);
    } finally {
      root.detachAppender(logs);
    }

    assertThat(errorBodies)
        .hasSize(1000 * 9)
        .allSatisfy(body -> assertThat(body).contains("\"error\""));
    StringBuilder log = new StringBuilder();
    for (ILoggingEvent e : logs.list) {
      log.append(e.getFormattedMessage()).append('\n');
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        log.append(t.getMessage()).append('\n');
      }
    }
    assertThat(audit).contains("secret.write").contains("version.create");
    for (String form : forms()) {
      assertThat(audit).as("audit log").doesNotContain(form);
      assertThat(log.toString()).as("server log").doesNotContain(form);
      assertThat(metrics).as("/metrics").doesNotContain(form);
      for (String body : errorBodies) {
        assertThat(body).as("error body").doesNotContain(form);
      }
    }
  }

  private static void push(RunningServer server, String token, int n, List<String> errors) {
    String canary =
        MARK + "-" + n + "-" + HexFormat.of().formatHex(java.security.SecureRandom.getSeed(6));
    String k = "/v1/secrets/flood/K" + (n % 40);
    String j = "/v1/secrets/flood/J" + (n % 40);
    ok(server.raw("PUT", k, token, body("{\"value\":\"" + canary + "\",\"grace\":\"1h\"}")));
    ok(server.raw("PUT", j, token, body("{\"value_json\":{\"password\":\"" + canary + "\"}}")));
    ok(server.raw("GET", k, token, null));
    ok(server.raw("GET", "/v1/keyrings/flood/K" + (n % 40), token, null));
    errors.add(server.raw("PUT", k, token, body("{\"value\":" + canary + "}")).body());
    errors.add(server.raw("PUT", k, token, body("{\"generate\":\"" + canary + "\"}")).body());
    errors.add(
        server
            .raw(
                "PUT",
                k,
                token,
                body("{\"value\":\"" + canary + "\",\"grace\":\"" + canary + "\"}"))
            .body());
    errors.add(server.raw("PUT", k, token, body("{\"" + canary + "\":\"" + canary + "\"}")).body());
    errors.add(
        server
            .raw(
                "POST",
                "/v1/stages/flood/K" + (n % 40),
                token,
                body("{\"version\":1,\"stage\":\"" + canary + "\"}"))
            .body());
    errors.add(
        server.raw("POST", "/v1/tokens", token, body("{\"grants\":[\"" + canary + "\"]}")).body());
    errors.add(server.raw("GET", k, canary, null).body());
    errors.add(server.raw("GET", k + "?version=" + canary, token, null).body());
    errors.add(server.raw("GET", "/v1/secrets/flood/" + canary + "/%2e", token, null).body());
  }

  private static void ok(RunningServer.Raw r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  private static byte[] body(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  private static String auditText(Path data) throws Exception {
    StringBuilder out = new StringBuilder();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("keyturn.db"));
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT token_id, client, action, coalesce(secret, ''), coalesce(version, ''),"
                        + " result, detail FROM audit")) {
      while (rs.next()) {
        for (int i = 1; i <= 7; i++) {
          out.append(rs.getString(i)).append('|');
        }
        out.append('\n');
      }
    }
    return out.toString();
  }

  private static List<String> forms() {
    byte[] mark = MARK.getBytes(StandardCharsets.UTF_8);
    return List.of(
        MARK,
        HexFormat.of().formatHex(mark),
        Base64.getEncoder()
            .encodeToString((MARK + "-").getBytes(StandardCharsets.UTF_8))
            .substring(0, 4));
  }
}
