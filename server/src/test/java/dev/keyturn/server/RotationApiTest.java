package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.StatusRow;
import dev.keyturn.client.KeyturnConflictException;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.client.KeyturnInvalidRequestException;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.testing.FixedClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rules, rotations and the status board through the HTTP API of a real server on a fake clock. */
class RotationApiTest {
  private static final String HMAC = "leather-api/production/REVALIDATE_SECRET";
  @TempDir Path dir;
  private final FixedClock clock = new FixedClock(Instant.parse("2026-11-22T09:00:00Z"));
  private RunningServer server;
  private WireClient root;

  @BeforeEach
  void start() {
    Path applied = dir.resolve("applied");
    server =
        RunningServer.start(
            RunningServer.config(dir.resolve("data"), Optional.empty()).toBuilder()
                .hostPolicy(
                    new dev.keyturn.core.HostPolicy(
                        List.of(
                            command("apply", "cat > " + applied),
                            command("check", "cmp -s - " + applied),
                            command("refuse", "false")),
                        List.of(),
                        dev.keyturn.core.Outbound.publicOnly()))
                .build(),
            clock);
    root = server.client();
  }

  private static dev.keyturn.core.CommandSpec command(String name, String line) {
    return new dev.keyturn.core.CommandSpec(
        name,
        List.of("sh", "-c", line),
        Optional.empty(),
        Optional.empty(),
        Duration.ofMinutes(1),
        Map.of());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static RuleBody overlap(String every, String grace) {
    return new RuleBody(
        "hex:32",
        every,
        null,
        grace,
        "overlap",
        null,
        null,
        "devops",
        "revalidation webhook",
        "stale pages",
        null,
        null,
        null,
        null,
        null);
  }

  @Test
  void runbookB_hmac_bothValuesValidDuringGraceOnlyTheNewAfter() {
    root.put(HMAC, new PutSecretRequest(null, null, "hex:32", null, null));
    String old = root.get(HMAC).value().stringValue();
    var rule = root.putRule(HMAC, overlap("90d", "24h"));

    RotationInfo rotation = root.rotate(HMAC, new RotateRequest(null, null));

    assertThat(rule.nextDue()).isEqualTo("2027-02-20T09:00:00Z");
    assertThat(rotation.state()).isEqualTo("finished");
    String fresh = root.get(HMAC).value().stringValue();
    assertThat(fresh).matches("[0-9a-f]{64}").isNotEqualTo(old);
    assertThat(root.keyring(HMAC).versions())
        .extracting(v -> v.value().stringValue())
        .containsExactly(fresh, old);

    clock.advance(Duration.ofHours(24));

    assertThat(root.keyring(HMAC).versions())
        .extracting(v -> v.value().stringValue())
        .containsExactly(fresh);
    StatusRow row = root.status("leather-api/").secrets().get(0);
    assertThat(row.state()).isEqualTo("ok");
    assertThat(row.owner()).isEqualTo("devops");
    assertThat(row.nextDue()).isEqualTo("2027-02-20T09:00:00Z");
  }

  @Test
  void settingARule_neverRotatesAtOnce_andTheSchedulerRotatesWhenDue() throws Exception {
    root.put(HMAC, new PutSecretRequest("v1", null, null, null, null));
    root.putRule(HMAC, overlap("1h", "10s"));

    Thread.sleep(1500);
    assertThat(root.get(HMAC).version()).as("no rotation on adoption").isEqualTo(1);
    assertThat(root.status("").secrets().get(0).state()).isEqualTo("ok");

    clock.advance(Duration.ofHours(1));
    assertThat(root.status("").secrets().get(0).state()).isIn("due", "rotating", "ok");
    waitFor(() -> root.get(HMAC).version() == 2);

    assertThat(root.rotations(HMAC).rotations())
        .singleElement()
        .satisfies(r -> assertThat(r.requestedBy()).isEqualTo("scheduler"));
    clock.advance(Duration.ofSeconds(10));
    assertThat(root.history(HMAC).versions().get(1).stage())
        .as("reads see it at once")
        .isEqualTo("retired");
    waitFor(() ->
        root
            .audit(
                Optional.empty(), Optional.of(HMAC), Optional.of("version.stage"), Optional.empty())
            .records()
            .stream()
            .anyMatch(
                r -> r.tokenId().equals("scheduler") && r.detail().equals("previous->retired")));
  }

  @Test
  void secondRotation_whileOneWaits_is409WithItsId() {
    root.put(HMAC, new PutSecretRequest("v1", null, null, null, null));
    root.putRule(
        HMAC,
        new RuleBody(
            "hex:32", null, null, "1h", "overlap", "10m", null, null, null, null, null, null, null,
            null, null));
    RotationInfo first = root.rotate(HMAC, new RotateRequest(null, null));

    assertThat(first.state()).isEqualTo("set");
    assertThat(root.keyring(HMAC).versions())
        .extracting(v -> v.stage())
        .containsExactly("pending", "current");
    assertThatThrownBy(() -> root.rotate(HMAC, new RotateRequest(null, null)))
        .isInstanceOf(KeyturnConflictException.class)
        .satisfies(
            e -> assertThat(((KeyturnConflictException) e).rotationId()).contains(first.id()));
    assertThat(server.raw("POST", "/v1/rotate/" + HMAC, server.rootToken(), "{}".getBytes()).body())
        .contains("\"rotation_id\":\"" + first.id() + "\"");
    assertThat(root.status("").secrets().get(0).state()).isEqualTo("rotating");

    RotationInfo cancelled = root.cancelRotation(first.id());

    assertThat(cancelled.state()).isEqualTo("failed");
    assertThat(cancelled.reason()).isEqualTo("cancelled by root");
    assertThat(root.keyring(HMAC).versions()).extracting(v -> v.stage()).containsExactly("current");
    assertThat(root.status("").secrets().get(0).state()).isEqualTo("failed");
  }

  @Test
  void commandTarget_getsTheValueOnStdinAndRollsBackWhenTheTestFails() throws Exception {
    Path applied = dir.resolve("applied");
    root.put("app/CMD", new PutSecretRequest("first", null, null, null, null));
    root.putRule(
        "app/CMD",
        new RuleBody(
            "password:24",
            null,
            null,
            null,
            "single-user",
            null,
            Map.of("type", "command", "set-command", "apply", "test-command", "check"),
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null));

    RotationInfo ok = root.rotate("app/CMD", new RotateRequest(null, null));

    assertThat(ok.state()).isEqualTo("finished");
    assertThat(Files.readString(applied)).isEqualTo(root.get("app/CMD").value().stringValue());
    assertThat(root.history("app/CMD").versions().get(1).stage())
        .as("single-user: no overlap")
        .isEqualTo("retired");

    root.putRule(
        "app/CMD",
        new RuleBody(
            "password:24",
            null,
            null,
            null,
            "single-user",
            null,
            Map.of("type", "command", "set-command", "apply", "test-command", "refuse"),
            null,
            null,
            null,
            2,
            "1s",
            null,
            null,
            null));
    String current = root.get("app/CMD").value().stringValue();
    RotationInfo failing = root.rotate("app/CMD", new RotateRequest(null, null));
    clock.advance(Duration.ofSeconds(1));
    waitFor(() -> root.rotation(failing.id()).state().equals("failed"));

    assertThat(root.rotation(failing.id()).reason())
        .contains("test failed: test command exited with 1");
    assertThat(Files.readString(applied)).as("rolled back to the current value").isEqualTo(current);
    assertThat(root.get("app/CMD").value().stringValue()).isEqualTo(current);
  }

  @Test
  void rulesNeedAdminAndRotationNeedsRotate() {
    root.put("app/ACL", new PutSecretRequest("v", null, null, null, null));
    WireClient writer = server.client(server.token("write:app/*", "rotate:app/*", "read:app/*"));
    WireClient reader = server.client(server.token("read:app/*", "list:app/*"));

    assertThatThrownBy(() -> writer.putRule("app/ACL", overlap(null, null)))
        .isInstanceOf(KeyturnForbiddenException.class);
    root.putRule("app/ACL", overlap(null, null));
    assertThat(writer.rotate("app/ACL", new RotateRequest(null, null)).state())
        .isEqualTo("finished");
    assertThatThrownBy(() -> reader.rotate("app/ACL", new RotateRequest(null, null)))
        .isInstanceOf(KeyturnForbiddenException.class);
    assertThat(reader.status("app/").secrets()).hasSize(1);
  }

  @Test
  void badRules_areRefusedClearly() {
    root.put("app/BAD", new PutSecretRequest("v", null, null, null, null));

    assertThatThrownBy(() ->
            root.putRule(
                "app/BAD",
                new RuleBody(
                    "hex:32", "90x", null, null, null, null, null, null, null, null, null, null,
                    null, null, null)))
        .isInstanceOf(KeyturnInvalidRequestException.class);
    assertThatThrownBy(() ->
            root.putRule(
                "app/BAD",
                new RuleBody(
                    "hex:32",
                    null,
                    null,
                    null,
                    null,
                    null,
                    Map.of("type", "teleport"),
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null)))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("unknown target type");
    assertThatThrownBy(() ->
            root.putRule(
                "app/BAD",
                new RuleBody(
                    "manual", null, null, null, "overlap", null, null, null, null, null, null, null,
                    null, null, null)))
        .isInstanceOf(KeyturnInvalidRequestException.class);
    assertThatThrownBy(() -> root.putRule("app/NONE", overlap(null, null)))
        .isInstanceOf(KeyturnNotFoundException.class);
    assertThatThrownBy(() -> root.rotate("app/BAD", new RotateRequest(null, null)))
        .isInstanceOf(KeyturnNotFoundException.class)
        .hasMessageContaining("keyturn rotation set");
  }

  private static RuleBody database(String strategy, Map<String, String> target) {
    return new RuleBody(
        "base64url:24",
        "30d",
        null,
        null,
        strategy,
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

  @Test
  void databaseRules_needReadOnTheAdminSecret_aDatabaseValue_andAFittingStrategy() {
    String db = "app/DATABASE";
    String admin = "ops/DATABASE_ADMIN";
    var json = dev.keyturn.api.WireJson.mapper();
    root.put(
        db,
        new PutSecretRequest(
            null,
            json.readTree(
                "{\"engine\":\"postgresql\",\"host\":\"127.0.0.1\",\"port\":5432,"
                    + "\"dbname\":\"app\",\"username\":\"app\",\"password\":\"canary-db-9\"}"),
            null,
            null,
            null));
    root.put(
        admin,
        new PutSecretRequest(
            null,
            json.readTree(
                "{\"engine\":\"postgresql\",\"host\":\"127.0.0.1\",\"port\":5432,"
                    + "\"dbname\":\"postgres\",\"username\":\"postgres\",\"password\":\"pw\"}"),
            null,
            null,
            null));
    root.put("app/PLAIN", new PutSecretRequest("canary-db-9", null, null, null, null));
    Map<String, String> pg = Map.of("type", "postgresql", "admin", admin);
    WireClient appAdmin = server.client(server.token("admin:app/*"));

    assertThatThrownBy(() -> appAdmin.putRule(db, database("single-user", pg)))
        .isInstanceOf(KeyturnForbiddenException.class);
    assertThatThrownBy(() -> root.putRule("app/PLAIN", database("single-user", pg)))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("not JSON")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("canary-db-9"));
    assertThatThrownBy(() -> root.putRule(db, database("overlap", pg)))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("single-user, alternating-users or reencrypt");
    assertThatThrownBy(() -> root.putRule(db, database("single-user", Map.of("type", "mysql"))))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("holds a postgresql credential, not a mariadb one");
    assertThatThrownBy(() -> root.putRule(db, database("overlap", Map.of("type", "redis"))))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("holds a postgresql credential, not a redis one");
    assertThatThrownBy(() -> root.putRule(db, database("alternating-users", Map.of())))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("alternating-users needs a database target");

    assertThatThrownBy(() ->
            root.putRule(
                db, database("single-user", Map.of("type", "postgresql", "admin", "ops/MISSING"))))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("names ops/MISSING, which has no current version");

    var rule = root.putRule(db, database("alternating-users", pg));

    assertThat(rule.rule().target())
        .containsEntry("username", "app")
        .containsEntry("alt-username", "app_b")
        .containsEntry("owner-role", "app_owner");
    // Only a rotation switches users (a put of app_b's password is refused: DatabaseWriteTest);
    // setting the rule again keeps the pair.
    assertThat(root.putRule(db, database("alternating-users", pg)).rule().target())
        .containsEntry("username", "app")
        .containsEntry("alt-username", "app_b");
    // Setup needs admin on the secret and read on the admin credential.
    assertThatThrownBy(() -> appAdmin.setupTarget(db))
        .isInstanceOf(KeyturnForbiddenException.class);
    root.putRule("app/PLAIN", overlap(null, null));
    assertThatThrownBy(() -> root.setupTarget("app/PLAIN"))
        .isInstanceOf(KeyturnInvalidRequestException.class)
        .hasMessageContaining("needs no setup");
  }

  @Test
  void manualRotation_takesTheSuppliedValue() {
    root.put("app/SMTP_PASSWORD", new PutSecretRequest("old-app-pw-1", null, null, null, null));
    root.putRule(
        "app/SMTP_PASSWORD",
        new RuleBody(
            "manual", null, null, "1h", "manual", null, null, null, null, null, null, null, null,
            null, null));

    assertThatThrownBy(() -> root.rotate("app/SMTP_PASSWORD", new RotateRequest(null, null)))
        .isInstanceOf(KeyturnInvalidRequestException.class);
    RotationInfo r = root.rotate("app/SMTP_PASSWORD", new RotateRequest("new-app-password", null));

    assertThat(r.state()).isEqualTo("finished");
    assertThat(root.get("app/SMTP_PASSWORD").value().stringValue()).isEqualTo("new-app-password");
  }

  private static void waitFor(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    dev.keyturn.testing.Eventually.waitFor(Duration.ofSeconds(15), condition);
  }

  @Test
  void runbookA_smtpPassword_suppliedByAPersonAndTestedWithSmtpAuth() {
    var smtp =
        new com.icegreen.greenmail.util.GreenMail(
            new com.icegreen.greenmail.util.ServerSetup(
                0, "127.0.0.1", com.icegreen.greenmail.util.ServerSetup.PROTOCOL_SMTP));
    smtp.getManagers().getSmtpManager().getUserManager().setAuthRequired(true);
    smtp.start();
    try {
      smtp.setUser("app@example.com", "app", "new-app-password");
      root.put("app/SMTP_PASSWORD", new PutSecretRequest("old-app-pw-1", null, null, null, null));
      root.putRule(
          "app/SMTP_PASSWORD",
          new RuleBody(
              "manual",
              null,
              null,
              "1h",
              "manual",
              null,
              Map.of(
                  "type",
                  "smtp",
                  "host",
                  "127.0.0.1",
                  "port",
                  Integer.toString(smtp.getSmtp().getPort()),
                  "username",
                  "app",
                  "security",
                  "none"),
              "ops",
              null,
              null,
              1,
              "1s",
              null,
              null,
              null));

      RotationInfo wrong =
          root.rotate("app/SMTP_PASSWORD", new RotateRequest("mistyped-password", null));
      RotationInfo right =
          root.rotate("app/SMTP_PASSWORD", new RotateRequest("new-app-password", null));

      assertThat(wrong.state()).isEqualTo("failed");
      assertThat(wrong.reason()).contains("refused the login of app").doesNotContain("mistyped");
      assertThat(right.state()).isEqualTo("finished");
      assertThat(root.get("app/SMTP_PASSWORD").value().stringValue()).isEqualTo("new-app-password");
      assertThat(root.history("app/SMTP_PASSWORD").versions())
          .extracting(v -> v.stage())
          .containsExactly("current", "retired", "previous");
    } finally {
      smtp.stop();
    }
  }
}
