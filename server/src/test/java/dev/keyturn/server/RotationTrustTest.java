package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.StatusRow;
import dev.keyturn.api.WireJson;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.client.KeyturnInvalidRequestException;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.Generator;
import dev.keyturn.core.HookSpec;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.Strategy;
import dev.keyturn.store.JdbcStore;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who decides what a rotation does (issue 11 items 1, 5-8): a rotator cannot choose a value under a
 * rule that generates them, a scoped admin cannot run programs or aim hooks at the server's own
 * network, a writer cannot re-point a rule's named URL at something the server would fetch. Fake
 * "attacker" listeners on 127.0.0.x count what reaches them.
 */
class RotationTrustTest {
  @TempDir Path dir;
  private HttpServer attacker;
  private final AtomicInteger hits = new AtomicInteger();

  @BeforeEach
  void listen() throws Exception {
    attacker = HttpServer.create(new InetSocketAddress("127.0.0.5", 0), 0);
    attacker.createContext(
        "/",
        exchange -> {
          hits.incrementAndGet();
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    attacker.start();
  }

  @AfterEach
  void stop() {
    attacker.stop(0);
  }

  private String attackerUrl(String host) {
    return "http://" + host + ":" + attacker.getAddress().getPort() + "/hook";
  }

  private static RuleBody rule(
      String generate,
      String strategy,
      Map<String, String> target,
      List<Map<String, String>> hooks) {
    return new RuleBody(
        generate, null, null, null, strategy, null, target, null, null, null, 1, "1s", hooks, null,
        null);
  }

  @Test
  void suppliedValue_underAGeneratedRule_isRefusedAndNothingIsStored() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      WireClient root = server.client();
      root.put("app/dev/SIGNING_KEY", new PutSecretRequest("v1", null, null, null, null));
      root.putRule("app/dev/SIGNING_KEY", rule("hex:32", "overlap", null, null));
      WireClient rotator = server.client(server.token("rotate:app/dev/*"));
      WireClient rotatorWriter = server.client(server.token("rotate:app/dev/*", "write:app/dev/*"));

      assertThatThrownBy(() ->
              rotator.rotate("app/dev/SIGNING_KEY", new RotateRequest("attacker-chosen", true)))
          .isInstanceOf(KeyturnForbiddenException.class);
      assertThatThrownBy(() ->
              rotatorWriter.rotate(
                  "app/dev/SIGNING_KEY", new RotateRequest("attacker-chosen", true)))
          .isInstanceOf(KeyturnClientException.class)
          .hasMessageContaining("only under a manual rule")
          .hasMessageNotContaining("attacker-chosen");

      assertThat(root.history("app/dev/SIGNING_KEY").versions()).hasSize(1);
      assertThat(root.get("app/dev/SIGNING_KEY").value().stringValue()).isEqualTo("v1");
      assertThat(root.rotations("app/dev/SIGNING_KEY").rotations()).isEmpty();
    }
  }

  @Test
  void suppliedValue_underAManualRule_needsWriteAndTheSecretsShape() throws Exception {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      WireClient root = server.client();
      root.put(
          "app/dev/SMTP",
          new PutSecretRequest(
              null,
              dev.keyturn.api.WireJson.mapper()
                  .readTree("{\"username\":\"mailer\",\"password\":\"p1\"}"),
              null,
              null,
              null));
      root.putRule("app/dev/SMTP", rule("manual", "manual", null, null));
      WireClient rotator = server.client(server.token("rotate:app/dev/*"));
      WireClient both = server.client(server.token("rotate:app/dev/*", "write:app/dev/*"));

      assertThatThrownBy(() ->
              rotator.rotate(
                  "app/dev/SMTP",
                  new RotateRequest("{\"username\":\"mailer\",\"password\":\"p2\"}", null)))
          .isInstanceOf(KeyturnForbiddenException.class);
      assertThatThrownBy(() -> both.rotate("app/dev/SMTP", new RotateRequest("not json", null)))
          .isInstanceOf(KeyturnClientException.class)
          .hasMessageContaining("must be a JSON object");
      assertThat(root.history("app/dev/SMTP").versions()).hasSize(1);

      RotationInfo ok =
          both.rotate(
              "app/dev/SMTP",
              new RotateRequest("{\"username\":\"mailer\",\"password\":\"p2\"}", null));

      assertThat(ok.state()).isEqualTo("finished");
      assertThat(root.get("app/dev/SMTP").value().get("password").asString()).isEqualTo("p2");
    }
  }

  @Test
  void scopedAdmin_cannotDeclareACommand_inAHookOrATarget() {
    Path marker = dir.resolve("pwned");
    try (RunningServer server =
        RunningServer.startWithConfig(
            dir.resolve("data"), "commands:\n  reload:\n    argv: ['true']\n")) {
      server.client().put("app/dev/K", new PutSecretRequest("v1", null, null, null, null));
      WireClient appAdmin = server.client(server.token("admin:app/dev/*"));

      assertThatThrownBy(() ->
              appAdmin.putRule(
                  "app/dev/K",
                  rule(
                      "hex:16",
                      "overlap",
                      null,
                      List.of(
                          Map.of(
                              "phase",
                              "after-set",
                              "type",
                              "command",
                              "command",
                              "touch " + marker)))))
          .hasMessageContaining("not declared in the server's configuration file");
      assertThatThrownBy(() ->
              appAdmin.putRule(
                  "app/dev/K",
                  rule(
                      "hex:16",
                      "overlap",
                      Map.of("type", "command", "set-command", "cat /root/root.key > " + marker),
                      null)))
          .hasMessageContaining("not declared in the server's configuration file");
      assertThat(
              appAdmin
                  .putRule(
                      "app/dev/K",
                      rule(
                          "hex:16",
                          "overlap",
                          null,
                          List.of(
                              Map.of(
                                  "phase", "after-set", "type", "command", "command", "reload"))))
                  .rule()
                  .hooks())
          .hasSize(1);
      assertThat(marker).doesNotExist();
    }
  }

  @Test
  void scopedAdminsHttpHook_toLoopbackByAddressOrName_isRefusedAtSetAndNothingArrives() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      WireClient root = server.client();
      root.put("app/dev/A", new PutSecretRequest("v1", null, null, null, null));
      WireClient appAdmin = server.client(server.token("admin:app/dev/*"));
      for (String url :
          List.of(
              attackerUrl("127.0.0.5"),
              "http://localhost:" + server.server.port() + "/v1/health",
              "http://[::1]:" + server.server.port() + "/v1/health",
              "http://10.1.2.3/",
              "http://169.254.169.254/latest/meta-data/")) {
        RuleBody hooked =
            rule(
                "hex:16",
                "overlap",
                null,
                List.of(Map.of("phase", "after-set", "type", "http", "url", url)));
        assertThatThrownBy(() -> appAdmin.putRule("app/dev/A", hooked))
            .as(url)
            .isInstanceOf(KeyturnInvalidRequestException.class)
            .hasMessageContaining("after-set hook http setting 'url'")
            .hasMessageContaining("not on the operator's outbound list");
      }
      assertThatThrownBy(() -> root.rule("app/dev/A")).isInstanceOf(KeyturnNotFoundException.class);

      // The same hook in a rule set by admin:* (the operator's own) reaches its destination.
      root.putRule(
          "app/dev/A",
          rule(
              "hex:16",
              "overlap",
              null,
              List.of(
                  Map.of("phase", "after-set", "type", "http", "url", attackerUrl("127.0.0.5")))));
      assertThat(root.rotate("app/dev/A", new RotateRequest(null, null)).state())
          .isEqualTo("finished");
      assertThat(hits).hasValue(1);
    }
  }

  @Test
  void scopedAdminsTargets_atPrivateOrLoopbackHosts_areRefusedAtSet_namingTheSetting()
      throws Exception {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      WireClient root = server.client();
      root.put("app/dev/SIGN", new PutSecretRequest("k", null, null, null, null));
      root.put("app/dev/API", new PutSecretRequest("v1", null, null, null, null));
      for (String name : List.of("app/dev/DB", "app/dev/DBA")) {
        root.put(
            name,
            new PutSecretRequest(
                null,
                WireJson.mapper()
                    .readTree(
                        "{\"engine\":\"postgresql\",\"host\":\"127.0.0.1\",\"port\":5432,"
                            + "\"dbname\":\"app\",\"username\":\"app\",\"password\":\"p\"}"),
                null,
                null,
                null));
      }
      WireClient appAdmin = server.client(server.token("admin:app/dev/*"));
      // A closed port on loopback, as a port scan would try, and a listening one: the same answer.
      for (String url : List.of(attackerUrl("127.0.0.5"), "http://127.0.0.1:1/")) {
        RuleBody webhook =
            rule(
                "hex:16",
                "overlap",
                Map.of("type", "webhook", "url", url, "signing-secret", "app/dev/SIGN"),
                null);
        assertThatThrownBy(() -> appAdmin.putRule("app/dev/API", webhook))
            .isInstanceOf(KeyturnInvalidRequestException.class)
            .hasMessage(
                "target setting 'url': the host is not on the operator's outbound list"
                    + " (outbound: allow in the server's --config file); only an admin:* token"
                    + " may point a rule elsewhere");
      }
      RuleBody smtp =
          rule(
              "manual",
              "manual",
              Map.of("type", "smtp", "host", "192.168.1.10", "username", "mailer"),
              null);
      assertThatThrownBy(() -> appAdmin.putRule("app/dev/API", smtp))
          .isInstanceOf(KeyturnInvalidRequestException.class)
          .hasMessageContaining("target setting 'host'");
      // A database target's host is pinned from the value when the rule does not give one.
      RuleBody database =
          rule(
              "base64url:24",
              "single-user",
              Map.of("type", "postgresql", "admin", "app/dev/DBA"),
              null);
      assertThatThrownBy(() -> appAdmin.putRule("app/dev/DB", database))
          .isInstanceOf(KeyturnInvalidRequestException.class)
          .hasMessageContaining("target setting 'host'");
      assertThat(hits).hasValue(0);
      assertThat(root.get("app/dev/API").value().stringValue()).isEqualTo("v1");
    }
  }

  @Test
  void writerRepointsTheSqlHooksUrl_atARemoteResource_andNothingIsFetched() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      WireClient root = server.client();
      root.put("app/dev/K", new PutSecretRequest("v1", null, null, null, null));
      Path app = dir.resolve("app.db");
      root.put(
          "app/dev/DB_URL", new PutSecretRequest("jdbc:sqlite:" + app, null, null, null, null));
      root.putRule(
          "app/dev/K",
          rule(
              "hex:16",
              "overlap",
              null,
              List.of(
                  Map.of(
                      "phase",
                      "after-finish",
                      "type",
                      "sql",
                      "check",
                      "true",
                      "url-secret",
                      "app/dev/DB_URL",
                      "statement",
                      "SELECT 1"))));
      WireClient writer = server.client(server.token("write:app/dev/*"));

      for (String url :
          List.of(
              "jdbc:sqlite::resource:" + attackerUrl("127.0.0.5"),
              "jdbc:sqlite:" + app,
              "jdbc:postgresql://127.0.0.1:5432/test?socketFactory=java.lang.Object",
              "jdbc:postgresql://127.0.0.1:5432/test?loggerFile=/tmp/x",
              "jdbc:mariadb://127.0.0.1:3306/mysql?allowLocalInfile=true",
              "jdbc:h2:mem:x")) {
        writer.put("app/dev/DB_URL", new PutSecretRequest(url, null, null, null, null));

        RotationInfo r = root.rotate("app/dev/K", new RotateRequest(null, null));

        assertThat(r.state()).as(url).isEqualTo("failed");
        assertThat(r.reason()).as(url).contains("after-finish check sql failed");
      }
      assertThat(hits).hasValue(0);
    }
  }

  @Test
  void sqlHook_onADeclaredSqliteFile_runs() throws Exception {
    Path app = dir.resolve("app.db");
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + app)) {
      c.createStatement().execute("CREATE TABLE t (x)");
    }
    try (RunningServer server =
        RunningServer.startWithConfig(dir.resolve("data"), "sqlite-files: ['" + app + "']\n")) {
      WireClient root = server.client();
      root.put("app/dev/K", new PutSecretRequest("v1", null, null, null, null));
      root.put(
          "app/dev/DB_URL", new PutSecretRequest("jdbc:sqlite:" + app, null, null, null, null));
      root.putRule(
          "app/dev/K",
          rule(
              "hex:16",
              "overlap",
              null,
              List.of(
                  Map.of(
                      "phase",
                      "after-finish",
                      "type",
                      "sql",
                      "check",
                      "true",
                      "url-secret",
                      "app/dev/DB_URL",
                      "statement",
                      "INSERT INTO t VALUES (1)"))));

      assertThat(root.rotate("app/dev/K", new RotateRequest(null, null)).state())
          .isEqualTo("finished");
    }
  }

  @Test
  void ruleWithAnInlineCommand_storedBeforeTheChange_isSuspendedAtStart() throws Exception {
    Path data = dir.resolve("data");
    Path marker = dir.resolve("ran");
    try (RunningServer server = RunningServer.start(data)) {
      server.client().put("app/dev/OLD", new PutSecretRequest("v1", null, null, null, null));
    }
    dev.keyturn.core.crypto.RootKey key =
        dev.keyturn.core.crypto.RootKey.fromBase64(
            java.nio.file.Files.readString(data.resolve("root.key")));
    try (JdbcStore store =
        JdbcStore.open("jdbc:sqlite:" + data.resolve("keyturn.db"), Clock.systemUTC())) {
      // The row as the first start after the upgrade leaves an older rule: protected as it was.
      var audit = store.openAuditLog(new dev.keyturn.core.audit.AuditChain(key));
      store.protect(new dev.keyturn.core.crypto.Envelope(key, new java.security.SecureRandom()));
      store
          .rotations()
          .putRule(
              new RotationRule(
                  SecretName.of("app/dev/OLD"),
                  Generator.parse("hex:16"),
                  Optional.empty(),
                  Duration.ZERO,
                  Strategy.OVERLAP,
                  Duration.ZERO,
                  "none",
                  Map.of(),
                  "",
                  "",
                  "",
                  1,
                  Duration.ofSeconds(1),
                  List.of(
                      new HookSpec(
                          HookSpec.Phase.AFTER_SET,
                          "command",
                          false,
                          Map.of("command", "touch " + marker))),
                  Optional.empty(),
                  false,
                  false),
              Optional.of(java.time.Instant.now().minusSeconds(60)));
      audit.close();
    }

    try (RunningServer server = RunningServer.start(data)) {
      WireClient root = server.client();

      assertThat(root.status("app/").secrets())
          .extracting(StatusRow::name, StatusRow::state)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("app/dev/OLD", "invalid"));
      assertThatThrownBy(() -> root.rotate("app/dev/OLD", new RotateRequest(null, null)))
          .hasMessageContaining("inline command line");
      List<AuditRecordInfo> suspended =
          root.audit(
                  Optional.empty(),
                  Optional.of("app/dev/OLD"),
                  Optional.of("rule.suspended"),
                  Optional.empty())
              .records();
      assertThat(suspended).hasSize(1);
      assertThat(suspended.get(0).detail()).contains("declare the command");
      Thread.sleep(1500); // the scheduler ticks every second; the due rule must not start
      assertThat(root.rotations("app/dev/OLD").rotations()).isEmpty();
      assertThat(marker).doesNotExist();
    }
  }

  @Test
  void emergencyReason_isKeptShownAndAudited_andControlCharactersAreRefused() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      WireClient root = server.client();
      root.put("app/dev/K", new PutSecretRequest("v1", null, null, null, null));
      root.putRule("app/dev/K", rule("hex:16", "overlap", null, null));

      assertThatThrownBy(() ->
              root.rotate("app/dev/K", new RotateRequest(null, true, "x\r\nrotation.finish ok")))
          .isInstanceOf(KeyturnClientException.class)
          .hasMessageContaining("control character");
      assertThatThrownBy(
              () -> root.rotate("app/dev/K", new RotateRequest(null, true, "y".repeat(501))))
          .hasMessageContaining("longer than 500");
      RotationInfo r =
          root.rotate("app/dev/K", new RotateRequest(null, true, "key in \"INC-7\" paste"));

      assertThat(root.rotation(r.id()).requestReason()).isEqualTo("key in \"INC-7\" paste");
      assertThat(
              root.audit(
                      Optional.empty(),
                      Optional.of("app/dev/K"),
                      Optional.of("rotation.start"),
                      Optional.empty())
                  .records())
          .extracting(AuditRecordInfo::detail)
          .containsExactly(r.id() + " emergency reason=\"key in \\\"INC-7\\\" paste\"");
      assertThat(root.rotations("app/dev/K").rotations()).hasSize(1);
    }
  }

  @Test
  void configFile_mistakesFailTheStartNamingTheKey() throws Exception {
    Map<String, String> cases =
        Map.of(
            "comands: {}\n", "unknown key 'comands'",
            "commands:\n  x:\n    argv: [a]\n    sh: b\n", "commands.x: give either argv",
            "commands:\n  x:\n    sh: b\n    directory: rel\n",
                "directory must be an absolute path",
            "commands:\n  x:\n    sh: b\n    user: no-such-user-kt\n",
                "commands.x.user: no such account",
            "commands:\n  X Y:\n    sh: b\n", "a command's name",
            "commands:\n  x:\n    sh: b\n    timeout: 2h\n", "timeout must be between",
            "outbound:\n  allow: ['10.0.0.0/33']\n", "is not an address or a CIDR",
            "sqlite-files: [relative.db]\n", "sqlite-files: each entry must be an absolute",
            "tls-ca-files: [ca.pem]\n", "tls-ca-files: each entry must be an absolute");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Path file = dir.resolve("bad.yaml");
      Files.writeString(file, c.getKey());

      assertThatThrownBy(() -> ConfigFile.read(file))
          .as(c.getKey())
          .hasMessageContaining(c.getValue())
          .hasMessageContaining(file.toString());
    }
  }
}
