package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.StageRequest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log through the server: what is recorded, verification, and failing closed. */
class AuditTest {
  @TempDir Path dir;

  @Test
  void requestsAndStateChanges_areRecordedWithoutValues() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      var root = server.client();
      // strong values, so that the writes carry no weak-value warning
      String first = "first-canary-Vq8#Lm2!Xz7@Rt4&Ws9^Kd3";
      String second = "second-canary-Pb6$Hn1*Jy5%Gc8+Fu2";
      root.put("aud/KEY", new PutSecretRequest(first, null, null, null, null));
      root.put("aud/KEY", new PutSecretRequest(second, null, null, "1h", null));
      root.get("aud/KEY");
      server.raw("GET", "/v1/secrets/aud/KEY", "kt_wrongwrongwrongwrongw", null);
      server.raw("GET", "/v1/secrets/aud/KEY", server.token("read:other/*"), null);
      root.stage("aud/KEY", new StageRequest(1, "retired", null));

      List<AuditRecordInfo> records =
          root.audit(Optional.empty(), Optional.of("aud/KEY"), Optional.empty(), Optional.empty())
              .records();

      assertThat(records)
          .extracting(r ->
              r.action()
                  + " "
                  + r.version()
                  + " "
                  + r.result()
                  + " "
                  + r.detail().replaceFirst("(^| )request=[0-9a-f]{24}$", ""))
          .containsExactly(
              "secret.write 1 ok ",
              "version.create 1 ok current",
              "secret.write 2 ok ",
              "version.stage 1 ok current->previous",
              "version.create 2 ok current",
              "secret.read 2 ok ",
              "secret.read null unauthenticated ",
              "secret.read null forbidden ",
              "secret.stage 1 ok ",
              "version.stage 1 ok previous->retired");
      assertThat(records)
          .as("every record names its request")
          .allSatisfy(r -> assertThat(r.detail()).matches("(.* )?request=[0-9a-f]{24}"));
      assertThat(requestId(records.get(1)))
          .as("a write's records share its request id")
          .isEqualTo(requestId(records.get(0)))
          .isNotEqualTo(requestId(records.get(2)));
      assertThat(records.get(6).tokenId()).isEqualTo("-");
      assertThat(records).allSatisfy(r -> assertThat(r.client()).isEqualTo("127.0.0.1"));
      assertThat(records.toString()).doesNotContain(first).doesNotContain(second);
      assertThat(root.verifyAudit(Optional.empty()).ok()).isTrue();
    }
  }

  @Test
  void everyRequestButHealthMetricsAndApiDoc_isAudited() {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      server.client().whoami();
      long before = server.client().auditHead().seq();

      server.raw("GET", "/v1/health", null, null);
      server.raw("GET", "/metrics", null, null);
      server.raw("GET", "/v1/openapi.json", null, null);
      server.raw("GET", "/v1/nothing", null, null);
      server.raw("PATCH", "/v1/secrets/a/b", null, null);

      List<AuditRecordInfo> records =
          server
              .client()
              .audit(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty())
              .records();
      assertThat(records)
          .filteredOn(r -> r.seq() > before + 1)
          .extracting(r -> r.action() + " " + r.result())
          .containsExactly("request.unknown not_found", "request.unknown method_not_allowed");
    }
  }

  @Test
  void unwritableAudit_failsReadsWith503AndReturnsNoValue() throws Exception {
    Path data = dir.resolve("data");
    try (RunningServer server = RunningServer.start(data)) {
      server
          .client()
          .put("aud/SECRET", new PutSecretRequest("canary-unaudited-7731", null, null, null, null));
      String token = server.rootToken();
      String url = "jdbc:sqlite:" + data.resolve("keyturn.db");
      try (Connection c = DriverManager.getConnection(url)) {
        c.createStatement()
            .execute(
                "CREATE TRIGGER audit_unwritable BEFORE INSERT ON audit"
                    + " BEGIN SELECT RAISE(ABORT, 'audit store unwritable'); END");
      }

      RunningServer.Raw read = server.raw("GET", "/v1/secrets/aud/SECRET", token, null);
      RunningServer.Raw ring = server.raw("GET", "/v1/keyrings/aud/SECRET", token, null);

      assertThat(read.status()).isEqualTo(503);
      assertThat(read.body())
          .contains("\"code\":\"unavailable\"")
          .doesNotContain("canary-unaudited-7731");
      assertThat(ring.status()).isEqualTo(503);
      assertThat(ring.body()).doesNotContain("canary-unaudited-7731");
      assertThat(server.raw("GET", "/metrics", null, null).body())
          .contains("keyturn_audit_failures_total 2");

      try (Connection c = DriverManager.getConnection(url)) {
        c.createStatement().execute("DROP TRIGGER audit_unwritable");
      }
      assertThat(server.raw("GET", "/v1/secrets/aud/SECRET", token, null).body())
          .contains("canary-unaudited-7731");
      assertThat(server.client().verifyAudit(Optional.empty()).ok()).isTrue();
    }
  }

  @Test
  void unwritableAudit_failsEveryChangeWith503AndKeepsNoneOfIt() throws Exception {
    Path data = dir.resolve("data");
    try (RunningServer server = RunningServer.start(data)) {
      var root = server.client();
      root.put("aud/SECRET", new PutSecretRequest("kept", null, null, null, null));
      root.put("aud/SECRET", new PutSecretRequest("kept-too", null, null, "1h", null));
      int tokens = root.listTokens().tokens().size();
      long head = root.auditHead().seq();
      String token = server.rootToken();
      String url = "jdbc:sqlite:" + data.resolve("keyturn.db");
      try (Connection c = DriverManager.getConnection(url)) {
        c.createStatement()
            .execute(
                "CREATE TRIGGER audit_unwritable BEFORE INSERT ON audit"
                    + " BEGIN SELECT RAISE(ABORT, 'audit store unwritable'); END");
      }

      List<RunningServer.Raw> answers =
          List.of(
              server.raw("PUT", "/v1/secrets/aud/SECRET", token, json("{\"value\":\"lost\"}")),
              server.raw("PUT", "/v1/secrets/aud/NEW", token, json("{\"value\":\"lost\"}")),
              server.raw(
                  "POST",
                  "/v1/stages/aud/SECRET",
                  token,
                  json("{\"version\":1,\"stage\":\"retired\"}")),
              server.raw("DELETE", "/v1/secrets/aud/SECRET", token, null),
              server.raw("POST", "/v1/tokens", token, json("{\"grants\":[\"read:aud/*\"]}")));

      assertThat(answers).extracting(RunningServer.Raw::status).containsOnly(503);
      try (Connection c = DriverManager.getConnection(url)) {
        c.createStatement().execute("DROP TRIGGER audit_unwritable");
      }
      assertThat(root.history("aud/SECRET").versions())
          .extracting(v -> v.version() + " " + v.stage())
          .containsExactly("2 current", "1 previous");
      assertThat(root.get("aud/SECRET").value().stringValue()).isEqualTo("kept-too");
      assertThat(server.raw("GET", "/v1/secrets/aud/NEW", token, null).status()).isEqualTo(404);
      assertThat(root.listTokens().tokens()).hasSize(tokens);
      List<String> changes =
          List.of(
              "secret.write",
              "secret.stage",
              "secret.delete",
              "token.create",
              "version.create",
              "version.stage");
      assertThat(
              root.audit(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty())
                  .records())
          .as("no record of a change was written while the audit could not be")
          .filteredOn(r -> r.seq() > head && changes.contains(r.action()))
          .isEmpty();
      assertThat(root.verifyAudit(Optional.empty()).ok()).isTrue();
    }
  }

  private static byte[] json(String text) {
    return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void verify_overTheApi_findsAnEditedRecordAndATruncatedTail() throws Exception {
    Path data = dir.resolve("data");
    try (RunningServer server = RunningServer.start(data)) {
      var root = server.client();
      for (int i = 0; i < 5; i++) {
        root.put("aud/V" + i, new PutSecretRequest("v", null, null, null, null));
      }
      String checkpoint = root.auditHead().checkpoint();
      String url = "jdbc:sqlite:" + data.resolve("keyturn.db");

      try (Connection c = DriverManager.getConnection(url)) {
        long head = Long.parseLong(checkpoint.substring(0, checkpoint.indexOf(':')));
        c.createStatement().execute("DELETE FROM audit WHERE seq > " + (head - 2));
      }
      var intactButShort = root.verifyAudit(Optional.empty());
      var againstCheckpoint = root.verifyAudit(Optional.of(checkpoint));
      try (Connection c = DriverManager.getConnection(url)) {
        c.createStatement().execute("UPDATE audit SET client = '10.6.6.6' WHERE seq = 3");
      }
      var edited = root.verifyAudit(Optional.empty());

      assertThat(intactButShort.ok()).isTrue();
      assertThat(againstCheckpoint.ok()).isFalse();
      assertThat(againstCheckpoint.problem()).contains("deleted from the end");
      assertThat(edited.ok()).isFalse();
      assertThat(edited.problemSeq()).isEqualTo(3);
    }
  }

  private static String requestId(AuditRecordInfo record) {
    return record.detail().substring(record.detail().lastIndexOf("request=") + 8);
  }
}
