package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RuleBody;
import dev.keyturn.client.internal.WireClient;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real command, http and sql hooks around a rotation (runbook A's SECRET_KEY rotation). */
class HooksTest {
  @TempDir Path dir;

  @Test
  void runbookA_reloadHealthCheckAndMagicLinkInvalidationWithABackup() throws Exception {
    Path app = dir.resolve("app.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + app)) {
      c.createStatement().execute("CREATE TABLE magic_links (token TEXT)");
      c.createStatement().execute("INSERT INTO magic_links VALUES ('a'), ('b')");
    }
    Path reloaded = dir.resolve("reloaded");
    HttpServer health = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    health.createContext(
        "/health",
        exchange -> {
          exchange.sendResponseHeaders(Files.exists(reloaded) ? 200 : 503, -1);
          exchange.close();
        });
    health.start();
    try (RunningServer server =
        RunningServer.startWithConfig(
            dir.resolve("data"),
            "commands:\n  reload-app:\n    argv: [touch, '"
                + reloaded
                + "']\nsqlite-files: ['"
                + app
                + "']\n")) {
      WireClient root = server.client();
      root.put("app/production/SECRET_KEY", new PutSecretRequest(null, null, "django", null, null));
      root.put(
          "app/production/APP_DB_URL",
          new PutSecretRequest("jdbc:sqlite:" + app, null, null, null, null));
      root.putRule(
          "app/production/SECRET_KEY",
          new RuleBody(
              "django",
              null,
              null,
              null,
              "overlap",
              null,
              null,
              null,
              null,
              null,
              2,
              "1s",
              List.of(
                  Map.of("phase", "after-set", "type", "command", "command", "reload-app"),
                  Map.of(
                      "phase",
                      "after-set",
                      "type",
                      "http",
                      "check",
                      "true",
                      "url",
                      "http://127.0.0.1:" + health.getAddress().getPort() + "/health"),
                  Map.of(
                      "phase",
                      "after-finish",
                      "type",
                      "sql",
                      "url-secret",
                      "app/production/APP_DB_URL",
                      "statement",
                      "DELETE FROM magic_links",
                      "backup",
                      "true")),
              null,
              null));

      RotationInfo r = root.rotate("app/production/SECRET_KEY", new RotateRequest(null, null));

      assertThat(r.state()).as(String.valueOf(r.reason())).isEqualTo("finished");
      assertThat(r.checklist())
          .extracting(c -> c.name() + "=" + c.ok())
          .contains(
              "after-set hook command=true",
              "after-set check http=true",
              "after-finish hook sql=true");
      assertThat(reloaded).exists();
      assertThat(count(app)).isZero();
      Path backup;
      try (Stream<Path> files = Files.list(dir)) {
        backup =
            files
                .filter(p -> p.getFileName().toString().startsWith("app.db.keyturn-"))
                .findFirst()
                .orElseThrow();
      }
      assertThat(backup.getFileName().toString())
          .matches("app\\.db\\.keyturn-\\d{8}T\\d{6}Z\\.bak");
      assertThat(count(backup)).isEqualTo(2);
      assertThat(root.rule("app/production/SECRET_KEY").rule().hooks()).hasSize(3);
    } finally {
      health.stop(0);
    }
  }

  @Test
  void failingHealthCheck_rollsTheRotationBack() throws Exception {
    try (RunningServer server =
        RunningServer.startWithConfig(
            dir.resolve("data"), "commands:\n  health:\n    sh: 'exit 4'\n")) {
      WireClient root = server.client();
      root.put("app/K", new PutSecretRequest("v1", null, null, null, null));
      root.putRule(
          "app/K",
          new RuleBody(
              "hex:16",
              null,
              null,
              null,
              "overlap",
              null,
              null,
              null,
              null,
              null,
              1,
              "1s",
              List.of(
                  Map.of(
                      "phase",
                      "after-set",
                      "type",
                      "command",
                      "check",
                      "true",
                      "command",
                      "health")),
              null,
              null));

      RotationInfo r = root.rotate("app/K", new RotateRequest(null, null));

      assertThat(r.state()).isEqualTo("failed");
      assertThat(r.reason())
          .contains("after-set check command failed: after-set check command exited with 4");
      assertThat(r.checklist())
          .extracting(c -> c.name() + "=" + c.ok())
          .contains("set none=true", "after-set check command=false")
          .doesNotContain("set none=false");
      assertThat(root.get("app/K").value().stringValue()).isEqualTo("v1");
    }
  }

  @Test
  void sqlHookUrlSecret_needsReadByTheRuleAuthor() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      server.client().put("app/K", new PutSecretRequest("v1", null, null, null, null));
      server
          .client()
          .put("db/URL", new PutSecretRequest("jdbc:sqlite:/tmp/x.db", null, null, null, null));
      WireClient appAdmin = server.client(server.token("admin:app/*"));

      org.assertj.core.api.Assertions.assertThatThrownBy(() ->
              appAdmin.putRule(
                  "app/K",
                  new RuleBody(
                      "hex:16",
                      null,
                      null,
                      null,
                      null,
                      null,
                      null,
                      null,
                      null,
                      null,
                      null,
                      null,
                      List.of(
                          Map.of(
                              "phase",
                              "after-finish",
                              "type",
                              "sql",
                              "url-secret",
                              "db/URL",
                              "statement",
                              "SELECT 1")),
                      null,
                      null)))
          .hasMessageContaining("lacks read on db/URL");
    }
  }

  private static long count(Path db) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM magic_links")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
