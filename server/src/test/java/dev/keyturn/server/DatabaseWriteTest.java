package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.WireJson;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.client.KeyturnInvalidRequestException;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.testing.FixedClock;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rotated database secret through the HTTP API: its rule pins the database identity, and a {@code
 * put} (by a writer, or an admin) may change neither that identity nor the password, which only a
 * rotation changes. Nothing here touches a database: the refusals come before anything is stored.
 */
class DatabaseWriteTest {
  private static final String DB = "app/DATABASE";
  private static final String ADMIN = "ops/DATABASE_ADMIN";
  private static final String CANARY = "canary-pw-7";

  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(Instant.parse("2026-11-22T09:00:00Z"));
  private RunningServer server;
  private WireClient root;
  private WireClient writer;

  @BeforeEach
  void start() {
    server =
        RunningServer.start(RunningServer.config(dir.resolve("data"), Optional.empty()), clock);
    root = server.client();
    writer = server.client(server.token("write:app/*", "read:app/*"));
    root.put(DB, json(value("127.0.0.1", 5432, "app", "app", CANARY, "")));
    root.put(ADMIN, json(value("127.0.0.1", 5432, "postgres", "postgres", "admin-pw", "")));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static String value(
      String host, int port, String dbname, String user, String password, String extra) {
    return "{\"engine\":\"postgresql\",\"host\":\""
        + host
        + "\",\"port\":"
        + port
        + ",\"dbname\":\""
        + dbname
        + "\",\"username\":\""
        + user
        + "\",\"password\":\""
        + password
        + "\""
        + extra
        + "}";
  }

  private static PutSecretRequest json(String value) {
    return new PutSecretRequest(null, WireJson.mapper().readTree(value), null, null, null);
  }

  private static RuleBody rule(Map<String, String> target) {
    return new RuleBody(
        "base64url:24",
        "30d",
        null,
        null,
        "alternating-users",
        null,
        target,
        "dba",
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  private static Map<String, String> pg(Map<String, String> more) {
    Map<String, String> target = new java.util.HashMap<>(more);
    target.put("type", "postgresql");
    target.put("admin", ADMIN);
    return target;
  }

  private String stored() {
    return root.get(DB).value().toString();
  }

  @Test
  void aRuleSet_pinsTheIdentityOfTheCurrentValue() {
    var rule = root.putRule(DB, rule(pg(Map.of())));

    assertThat(rule.rule().target())
        .containsEntry("host", "127.0.0.1")
        .containsEntry("port", "5432")
        .containsEntry("dbname", "app")
        .containsEntry("username", "app")
        .containsEntry("alt-username", "app_b")
        .containsEntry("tls", "disable");
  }

  @Test
  void put_changingAPinnedField_isForbiddenNamingTheRule_forWritersAndAdmins() {
    root.putRule(DB, rule(pg(Map.of())));
    String before = stored();

    for (WireClient who : java.util.List.of(writer, root)) {
      assertThatThrownBy(
              () -> who.put(DB, json(value("127.0.0.5", 5432, "app", "app", CANARY, ""))))
          .isInstanceOf(KeyturnForbiddenException.class)
          .hasMessageContaining(DB + ": host is pinned by its rotation rule")
          .hasMessageContaining("keyturn rotation set")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(CANARY));
    }
    assertThatThrownBy(
            () -> writer.put(DB, json(value("127.0.0.1", 6543, "other", "app", CANARY, ""))))
        .isInstanceOf(KeyturnForbiddenException.class)
        .hasMessageContaining("port, dbname are pinned");
    assertThatThrownBy(
            () -> writer.put(DB, json(value("127.0.0.1", 5432, "app", "dba", CANARY, ""))))
        .isInstanceOf(KeyturnForbiddenException.class)
        .hasMessageContaining("username is pinned");

    assertThat(stored()).isEqualTo(before);
    assertThat(root.history(DB).versions()).hasSize(1);
  }

  @Test
  void put_ofANewPassword_isRefused_pointingToRotate() {
    root.putRule(DB, rule(pg(Map.of())));

    assertThatThrownBy(
            () -> writer.put(DB, json(value("127.0.0.1", 5432, "app", "app", "new", ""))))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("keyturn rotate " + DB);
    assertThatThrownBy(
            () -> writer.put(DB, json(value("127.0.0.1", 5432, "app", "app_b", CANARY, ""))))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("keyturn rotate " + DB);
    assertThatThrownBy(
            () -> writer.put(DB, new PutSecretRequest("not json", null, null, null, null)))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not json"));
    assertThatThrownBy(() -> writer.put(DB, new PutSecretRequest(null, null, "hex:16", null, null)))
        .isInstanceOf(KeyturnInvalidRequestException.class);

    assertThat(root.history(DB).versions()).hasSize(1);
  }

  @Test
  void put_keepingIdentityAndPassword_isAllowed() {
    root.putRule(DB, rule(pg(Map.of())));

    writer.put(DB, json(value("127.0.0.1", 5432, "app", "app", CANARY, ",\"options\":\"x\"")));

    assertThat(root.history(DB).versions()).hasSize(2);
    assertThat(stored()).contains("\"options\":\"x\"");
  }

  @Test
  void anAdmin_movesTheDatabase_withRotationSet_thenThePutFits() {
    root.putRule(DB, rule(pg(Map.of())));

    var moved = root.putRule(DB, rule(pg(Map.of("host", "db2.internal", "port", "5433"))));
    root.put(DB, json(value("db2.internal", 5433, "app", "app", CANARY, "")));

    assertThat(moved.rule().target())
        .containsEntry("host", "db2.internal")
        .containsEntry("port", "5433")
        .containsEntry("dbname", "app")
        .containsEntry("tls", "disable");
    assertThat(stored()).contains("db2.internal");
    // Setting the rule again without the host keeps the pinned one, not the value's.
    assertThat(root.putRule(DB, rule(pg(Map.of()))).rule().target())
        .containsEntry("host", "db2.internal");
  }

  @Test
  void rules_refuseHostsAndDatabaseNamesThatCouldCarryDriverOptions() {
    for (String dbname :
        java.util.List.of(
            "app?sessionVariables=x", "app&a=b", "app/x", "app;x", "a=b", "app#x", "app%3F")) {
      assertThatThrownBy(() -> root.putRule(DB, rule(pg(Map.of("dbname", dbname)))))
          .as(dbname)
          .isInstanceOf(KeyturnInvalidRequestException.class)
          .hasMessageContaining("dbname must not hold");
    }
    for (String host : java.util.List.of("db?x=1", "db/x", "db;x", "db&x", "db=x")) {
      assertThatThrownBy(() -> root.putRule(DB, rule(pg(Map.of("host", host)))))
          .as(host)
          .isInstanceOf(KeyturnInvalidRequestException.class)
          .hasMessageContaining("host must be");
    }
    assertThatThrownBy(() -> root.putRule(DB, rule(pg(Map.of("tls", "prefer")))))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("tls is verify-full");
    assertThatThrownBy(
            () -> root.putRule(DB, rule(pg(Map.of("tls", "verify-full", "tls-ca", "/etc/passwd")))))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining(
            "tls-ca must name a CA file the server's configuration file declares");
  }
}
