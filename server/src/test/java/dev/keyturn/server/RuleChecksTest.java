package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RuleBody;
import dev.keyturn.client.KeyturnInvalidRequestException;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.internal.WireClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code PUT /v1/rules/{name}} checks a rule when it is set, not when it first runs: each refusal
 * is a 400 naming the setting, never repeats the value, and stores nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RuleChecksTest {
  private static final String NAME = "app/checks/KEY";
  private static final String HOSTILE = "x';DROP TABLE rules;--\r\nInjected: 1";
  @TempDir static Path dir;
  private RunningServer server;
  private WireClient root;

  @BeforeAll
  void start() {
    // Rules name commands; the operator declares them (docs/security.md, "Who decides what").
    server =
        RunningServer.startWithConfig(
            dir.resolve("data"), "commands:\n  reload:\n    argv: ['true']\n");
    root = server.client();
    root.put(NAME, new PutSecretRequest("v1", null, null, null, null));
    root.put("app/checks/DB", new PutSecretRequest(null, pg("app"), null, null, null));
    root.put(
        "app/checks/MDB",
        new PutSecretRequest(null, credential("mariadb", "app"), null, null, null));
    root.put(
        "app/checks/RDB", new PutSecretRequest(null, credential("redis", "app"), null, null, null));
    root.put("ops/PG_ADMIN", new PutSecretRequest(null, pg("postgres"), null, null, null));
    root.put("ops/PLAIN", new PutSecretRequest("not a credential", null, null, null, null));
    root.put("ops/SIGNING", new PutSecretRequest("k", null, null, null, null));
    root.put("app/checks/DB_URL", new PutSecretRequest("postgres://x", null, null, null, null));
    root.put(
        "app/checks/PG_URL",
        new PutSecretRequest("jdbc:postgresql://h/db", null, null, null, null));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private static tools.jackson.databind.JsonNode pg(String user) {
    return credential("postgresql", user);
  }

  private static tools.jackson.databind.JsonNode credential(String engine, String user) {
    return dev.keyturn.api.WireJson.mapper()
        .valueToTree(
            Map.of(
                "engine",
                engine,
                "host",
                "127.0.0.1",
                "port",
                5432,
                "dbname",
                "app",
                "username",
                user,
                "password",
                "pw"));
  }

  static Stream<Arguments> badRules() {
    return Stream.of(
        bad(
            "smtp without host",
            "manual",
            "manual",
            target("smtp", "username", "a@b"),
            "needs 'host'"),
        bad(
            "smtp without username",
            "manual",
            "manual",
            target("smtp", "host", "smtp.example.com"),
            "needs 'username'"),
        bad(
            "smtp with a generated value",
            "hex:32",
            "overlap",
            target("smtp", "host", "h", "username", "u"),
            "--generate manual"),
        bad(
            "smtp port not a number",
            "manual",
            "manual",
            target("smtp", "host", "h", "username", "u", "port", HOSTILE),
            "'port' must be"),
        bad(
            "smtp host with a path",
            "manual",
            "manual",
            target("smtp", "host", "h/x?y", "username", "u"),
            "'host' must be"),
        bad(
            "smtp unknown security",
            "manual",
            "manual",
            target("smtp", "host", "h", "username", "u", "security", "ssl3"),
            "'security' must be"),
        bad(
            "command without set-command",
            "hex:32",
            "overlap",
            target("command", "test-command", "true"),
            "needs 'set-command'"),
        bad(
            "command with a typo",
            "hex:32",
            "overlap",
            target("command", "set-comand", "true"),
            "has no setting 'set-comand'"),
        bad(
            "command with a timeout (declared by the operator, not the rule)",
            "hex:32",
            "overlap",
            target("command", "set-command", "reload", "timeout", "5 minutes"),
            "has no setting 'timeout'"),
        bad(
            "command naming an undeclared command",
            "hex:32",
            "overlap",
            target("command", "set-command", "rm -rf /"),
            "is not declared"),
        bad(
            "webhook without url",
            "hex:32",
            "overlap",
            target("webhook", "signing-secret", "ops/SIGNING"),
            "needs 'url'"),
        bad(
            "webhook with a file url",
            "hex:32",
            "overlap",
            target("webhook", "url", "file:///etc/passwd", "signing-secret", "ops/SIGNING"),
            "'url' must be"),
        bad(
            "webhook without signing-secret",
            "hex:32",
            "overlap",
            target("webhook", "url", "https://h/x"),
            "needs 'signing-secret'"),
        bad(
            "webhook naming a missing secret",
            "hex:32",
            "overlap",
            target("webhook", "url", "https://h/x", "signing-secret", "ops/NOPE"),
            "'signing-secret' names ops/NOPE, which has no current version"),
        bad(
            "webhook naming no secret",
            "hex:32",
            "overlap",
            target("webhook", "url", "https://h/x", "signing-secret", "../etc"),
            "signing-secret"),
        bad(
            "none with a setting",
            "hex:32",
            "overlap",
            target("none", "host", "x"),
            "has no setting 'host'"),
        bad(
            "a hostile setting name",
            "hex:32",
            "overlap",
            target("none", HOSTILE, "x"),
            "has no setting of that name"),
        bad(
            "alternating users without a database",
            "hex:32",
            "alternating-users",
            target("none"),
            "alternating-users needs a database target"),
        bad("unknown target", "hex:32", "overlap", target("ftp"), "unknown target type"),
        bad(
            "postgresql with overlap",
            "password:24",
            "overlap",
            target("postgresql", "admin", "ops/PG_ADMIN"),
            "single-user, alternating-users or reencrypt"),
        bad(
            "postgresql with a key generator",
            "rsa:2048",
            "single-user",
            target("postgresql", "admin", "ops/PG_ADMIN"),
            "text generator"),
        bad(
            "postgresql without admin",
            "password:24",
            "single-user",
            target("postgresql"),
            "needs 'admin'"),
        bad(
            "postgresql admin not a credential",
            "password:24",
            "single-user",
            target("postgresql", "admin", "ops/PLAIN"),
            "ops/PLAIN"),
        bad(
            "postgresql bad timeout",
            "password:24",
            "single-user",
            target("postgresql", "admin", "ops/PG_ADMIN", "timeout-seconds", "0"),
            "'timeout-seconds' must be"),
        bad(
            "postgresql bad user name",
            "password:24",
            "alternating-users",
            target("postgresql", "admin", "ops/PG_ADMIN", "alt-username", "a\"b"),
            "alt-username must be"),
        bad(
            "mariadb admin of another engine",
            "password:24",
            "single-user",
            target("mariadb", "admin", "ops/PG_ADMIN"),
            "is a postgresql credential"),
        bad(
            "redis with alternating users",
            "password:24",
            "alternating-users",
            target("redis", "admin", "ops/PG_ADMIN"),
            "target redis rotates with"));
  }

  static Stream<Arguments> badHooks() {
    return Stream.of(
        hookCase(
            "command hook without command",
            Map.of("phase", "after-set", "type", "command"),
            "needs 'command'"),
        hookCase(
            "command hook with a timeout (declared by the operator, not the rule)",
            Map.of("phase", "after-set", "type", "command", "command", "reload", "timeout", "1s"),
            "has no setting 'timeout'"),
        hookCase(
            "command hook naming an undeclared command",
            Map.of("phase", "after-set", "type", "command", "command", "true"),
            "is not declared"),
        hookCase(
            "http hook without url", Map.of("phase", "after-set", "type", "http"), "needs 'url'"),
        hookCase(
            "http hook to a javascript url",
            Map.of("phase", "after-set", "type", "http", "url", "javascript:alert(1)"),
            "'url' must be"),
        hookCase(
            "http hook with an odd method",
            Map.of("phase", "after-set", "type", "http", "url", "https://h/", "method", "DELETE"),
            "'method' must be"),
        hookCase(
            "sql hook without statement",
            Map.of("phase", "after-finish", "type", "sql", "url-secret", "app/checks/PG_URL"),
            "needs 'statement'"),
        hookCase(
            "sql hook whose url is not jdbc",
            Map.of(
                "phase",
                "after-finish",
                "type",
                "sql",
                "url-secret",
                "app/checks/DB_URL",
                "statement",
                "SELECT 1"),
            "must hold a JDBC URL"),
        hookCase(
            "sql hook backing up postgres",
            Map.of(
                "phase",
                "after-finish",
                "type",
                "sql",
                "url-secret",
                "app/checks/PG_URL",
                "statement",
                "SELECT 1",
                "backup",
                "true"),
            "jdbc:sqlite:"),
        hookCase(
            "sql hook with backup yes",
            Map.of(
                "phase",
                "after-finish",
                "type",
                "sql",
                "url-secret",
                "app/checks/PG_URL",
                "statement",
                "SELECT 1",
                "backup",
                "yes"),
            "'backup' must be"),
        hookCase(
            "sql hook naming a missing secret",
            Map.of(
                "phase",
                "after-finish",
                "type",
                "sql",
                "url-secret",
                "app/NOPE",
                "statement",
                "SELECT 1"),
            "'url-secret' names app/NOPE"),
        hookCase(
            "unknown hook type", Map.of("phase", "after-set", "type", "ftp"), "unknown hook type"),
        hookCase(
            "check on failure",
            Map.of("phase", "on-failure", "type", "command", "command", "reload", "check", "true"),
            "a check runs after-set or after-finish"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRules")
  void putRule_badTargetSettings_is400NamingTheSettingAndStoresNothing(
      String what, String generate, String strategy, Map<String, String> target, String message) {
    String name = secretFor(target);

    assertThatThrownBy(() -> root.putRule(name, body(generate, strategy, target, List.of())))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("DROP", "Injected"));
    assertThatThrownBy(() -> root.rule(name)).isInstanceOf(KeyturnNotFoundException.class);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badHooks")
  void putRule_badHookSettings_is400NamingTheSettingAndStoresNothing(
      String what, Map<String, String> hook, String message) {
    assertThatThrownBy(
            () -> root.putRule(NAME, body("hex:32", "overlap", target("none"), List.of(hook))))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining(message);
    assertThatThrownBy(() -> root.rule(NAME)).isInstanceOf(KeyturnNotFoundException.class);
  }

  @Test
  void putRule_everyTargetAndHookWithGoodSettings_isAccepted() {
    Map<String, String> sql =
        Map.of(
            "phase",
            "after-finish",
            "type",
            "sql",
            "url-secret",
            "app/checks/PG_URL",
            "statement",
            "SELECT 1");
    Map<String, String> http =
        Map.of(
            "phase",
            "after-set",
            "type",
            "http",
            "url",
            "https://h/health",
            "check",
            "true",
            "method",
            "GET");
    Map<String, String> command =
        Map.of("phase", "on-failure", "type", "command", "command", "reload");

    var rule =
        root.putRule(
            NAME,
            body(
                "hex:32",
                "overlap",
                target(
                    "webhook",
                    "url",
                    "https://h/set",
                    "test-url",
                    "https://h/test",
                    "signing-secret",
                    "ops/SIGNING"),
                List.of(sql, http, command)));
    var smtp =
        root.putRule(
            "app/checks/SMTP",
            body(
                "manual",
                "manual",
                target(
                    "smtp",
                    "host",
                    "smtp.example.com",
                    "port",
                    "465",
                    "username",
                    "u",
                    "security",
                    "tls"),
                List.of()));
    var db =
        root.putRule(
            "app/checks/DB",
            body(
                "password:24",
                "alternating-users",
                target("postgresql", "admin", "ops/PG_ADMIN"),
                List.of()));

    assertThat(rule.rule().hooks()).hasSize(3);
    assertThat(smtp.rule().target()).containsEntry("host", "smtp.example.com");
    assertThat(db.rule().target()).containsEntry("alt-username", "app_b");
  }

  private String secretFor(Map<String, String> target) {
    String type = target.get("type");
    if (type.equals("smtp")) {
      root.put("app/checks/SMTP", new PutSecretRequest("pw", null, null, null, null));
      return "app/checks/SMTP";
    }
    return switch (type) {
      case "postgresql" -> "app/checks/DB";
      case "mariadb" -> "app/checks/MDB";
      case "redis" -> "app/checks/RDB";
      default -> NAME;
    };
  }

  private static Arguments bad(
      String what, String generate, String strategy, Map<String, String> target, String message) {
    return Arguments.of(what, generate, strategy, target, message);
  }

  private static Arguments hookCase(String what, Map<String, String> hook, String message) {
    return Arguments.of(what, hook, message);
  }

  private static Map<String, String> target(String type, String... settings) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("type", type);
    for (int i = 0; i < settings.length; i += 2) {
      out.put(settings[i], settings[i + 1]);
    }
    return out;
  }

  private static RuleBody body(
      String generate,
      String strategy,
      Map<String, String> target,
      List<Map<String, String>> hooks) {
    return new RuleBody(
        generate,
        null,
        null,
        null,
        strategy,
        null,
        target,
        null,
        null,
        null,
        null,
        null,
        new ArrayList<>(hooks),
        null,
        null);
  }
}
