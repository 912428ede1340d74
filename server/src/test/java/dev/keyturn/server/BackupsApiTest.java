package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RestoreResponse;
import dev.keyturn.api.RuleResponse;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.api.VersionInfo;
import dev.keyturn.api.WireJson;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.Generator;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RuleCodec;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/backups} and {@code POST /v1/restores} against callers that may not: no admin,
 * admin on another prefix, admin on only part of the prefix (the backup fails whole rather than
 * leaving secrets out), a restore naming a secret outside the caller's grants (nothing written),
 * and hostile prefixes and bodies.
 */
class BackupsApiTest {
  private static final String CANARY = "api-canary-7d1e";

  @TempDir static Path work;
  static KeyturnServer server;
  static WireClient root;
  static String rootToken;

  @BeforeAll
  static void start() throws IOException {
    Path data = work.resolve("data");
    server =
        KeyturnServer.start(
            ServerConfig.local(
                data, "127.0.0.1", 0, "jdbc:sqlite:" + data.resolve("k.db"), Optional.empty()),
            Clock.systemUTC(),
            new SecureRandom());
    rootToken = Files.readString(data.resolve("root.token")).strip();
    root = client(rootToken);
    for (String name : List.of("app/db/PASSWORD", "app/web/KEY", "other/x/KEY")) {
      root.put(name, new PutSecretRequest(CANARY + name, null, null, null, null));
    }
  }

  @AfterAll
  static void stop() {
    root.close();
    server.close();
  }

  private static WireClient client(String token) {
    return WireClient.builder().address("http://127.0.0.1:" + server.port()).token(token).build();
  }

  private static String lastToken;

  private static WireClient withGrants(String... grants) {
    lastToken = root.createToken(new TokenCreateRequest("t", List.of(grants), null)).token();
    return client(lastToken);
  }

  private static byte[] backupOf(WireClient client, String prefix) throws IOException {
    try (InputStream in = client.backup(prefix)) {
      return in.readAllBytes();
    }
  }

  private static int status(Runnable call) {
    return catchThrowableOfType(KeyturnClientException.class, call::run).status();
  }

  @Test
  void backup_needsAdminCoveringTheWholePrefix() throws IOException {
    WireClient reader = withGrants("read:*");
    WireClient otherAdmin = withGrants("admin:other/*");
    WireClient partAdmin = withGrants("admin:app/db/*", "read:app/*");
    WireClient appAdmin = withGrants("admin:app/*");

    assertThat(status(() -> read(reader, "app"))).isEqualTo(403);
    assertThat(status(() -> read(otherAdmin, "app"))).isEqualTo(403);
    assertThat(status(() -> read(partAdmin, "app"))).isEqualTo(403);
    assertThat(status(() -> read(appAdmin, ""))).isEqualTo(403);
    assertThat(status(() -> read(client("kt_not_a_token"), "app"))).isEqualTo(401);
    String app = new String(backupOf(appAdmin, "app"), StandardCharsets.UTF_8);
    assertThat(app).contains("app/db/PASSWORD").contains("app/web/KEY").doesNotContain("other/x");
    assertThat(new String(backupOf(partAdmin, "app/db"), StandardCharsets.UTF_8))
        .contains(CANARY + "app/db/PASSWORD")
        .doesNotContain("app/web");
  }

  private static void read(WireClient client, String prefix) {
    try {
      backupOf(client, prefix);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void hostilePrefixesAndBodies_are400() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    for (String prefix :
        List.of(
            "../etc", "app%0D%0AX:%20y", "app//db", "app'%3B%20DROP%20TABLE%20secrets", "/app")) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:" + server.port() + "/v1/backups?prefix=" + prefix))
                  .header("Authorization", "Bearer " + rootToken)
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(prefix).isEqualTo(400);
      assertThat(r.body()).as(prefix).contains("\"error\"");
    }
    for (String doc : List.of("{}", "[]", "{\"format\":\"keyturn-backup\"}", "x")) {
      assertThat(
              status(() ->
                  root.restore(
                      doc.getBytes(StandardCharsets.UTF_8),
                      "",
                      true,
                      false,
                      Optional.empty(),
                      Duration.ofSeconds(30))))
          .as(doc)
          .isEqualTo(400);
    }
  }

  @Test
  void restore_needsAdminOnEveryNameItWouldWrite_andWritesNothingOtherwise() throws IOException {
    for (String name : List.of("rst/db/PASSWORD", "rst/web/KEY", "rsx/x/KEY")) {
      root.put(name, new PutSecretRequest(CANARY + name, null, null, null, null));
    }
    byte[] all = backupOf(root, "");
    root.delete("rst/web/KEY", true);
    root.delete("rsx/x/KEY", true);
    WireClient reader = withGrants("read:*", "write:*");
    WireClient rstAdmin = withGrants("admin:rst/*");
    WireClient rsxAdmin = withGrants("admin:rsx/*");
    String before = root.list("r", Optional.empty()).secrets().toString();

    int asReader = status(() -> restore(reader, all, "rst"));
    int asRstAdminForAll = status(() -> restore(rstAdmin, all, ""));
    int asRsxAdminForRst = status(() -> restore(rsxAdmin, all, "rst"));
    String afterRefusals = root.list("r", Optional.empty()).secrets().toString();
    RestoreResponse rst = restore(rstAdmin, all, "rst");
    RestoreResponse one = restore(rsxAdmin, all, "rsx/x/KEY");

    assertThat(asReader).isEqualTo(403);
    assertThat(asRstAdminForAll).isEqualTo(403);
    assertThat(asRsxAdminForRst).isEqualTo(403);
    assertThat(afterRefusals).isEqualTo(before);
    // rst/web/KEY was deleted (its versions retired): changed since the backup, left alone.
    assertThat(rst.steps())
        .extracting(s -> s.name() + " " + s.action())
        .containsExactly("rst/db/PASSWORD unchanged", "rst/web/KEY changed");
    assertThat(one.steps())
        .extracting(s -> s.name() + " " + s.action())
        .containsExactly("rsx/x/KEY changed");
    assertThat(root.list("rsx/", Optional.empty()).secrets()).isEmpty();
    java.util.Arrays.fill(all, (byte) 0);
  }

  /** A backup document of one-version secrets (name, value), each made by "mallory" in 2001. */
  private static byte[] document(String... nameValues) {
    List<String> secrets = new java.util.ArrayList<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      secrets.add(secret(nameValues[i], nameValues[i + 1]));
    }
    return documentOf(secrets);
  }

  private static byte[] documentOf(List<String> secrets) {
    StringBuilder doc =
        new StringBuilder(
            "{\"format\":\"keyturn-backup\",\"format_version\":1,"
                + "\"created_at\":\"2026-01-01T00:00:00Z\",\"server_id\":\"elsewhere\","
                + "\"root_key_id\":\"rk\",\"audit_checkpoint\":null,\"prefix\":\"\",\"secrets\":[");
    doc.append(String.join(",", secrets));
    return doc.append("],\"secret_count\":")
        .append(secrets.size())
        .append("}")
        .toString()
        .getBytes(StandardCharsets.UTF_8);
  }

  private static String secret(String name, String value) {
    return secret(name, value, "2001-01-01T00:00:00Z", "null");
  }

  /** A rule document as backups hold it (RuleCodec's). */
  private static String ruleJson(RotationRule rule) {
    return WireJson.mapper().writeValueAsString(RuleCodec.toDocument(rule));
  }

  private static RotationRule.Builder monthly(String name) {
    return RotationRule.builder(SecretName.of(name))
        .generator(Generator.parse("hex:32"))
        .schedule(
            Optional.of(
                new Schedule(
                    Optional.of("30d"), Optional.empty(), Optional.empty(), Schedule.zone(null))))
        .owner("team-restore")
        .catchUp(true);
  }

  private static String secret(String name, String value, String createdAt, String rule) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    String sha;
    try {
      sha =
          java.util.HexFormat.of()
              .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    return "{\"name\":\""
        + name
        + "\",\"rule\":"
        + rule
        + ",\"versions\":[{\"version\":1,\"stage\":\"current\","
        + "\"type\":\"string\",\"created_at\":\""
        + createdAt
        + "\",\"created_by\":\"mallory\","
        + "\"accept_until\":null,\"value\":\""
        + value
        + "\",\"sha256\":\""
        + sha
        + "\"}]}";
  }

  @Test
  void restore_recordsTheRestoringTokenAndTime_notTheDocumentsCreator() {
    TokenCreated admin =
        root.createToken(new TokenCreateRequest("restorer", List.of("admin:rcb/*"), null));
    java.time.Instant before = java.time.Instant.now().minusSeconds(1);

    RestoreResponse done =
        restore(client(admin.token()), document("rcb/app/KEY", CANARY + "-rcb"), "");

    assertThat(done.created()).isEqualTo(1);
    VersionInfo v = root.history("rcb/app/KEY").versions().get(0);
    assertThat(v.createdBy()).isEqualTo(admin.id()).isNotEqualTo("mallory");
    assertThat(java.time.Instant.parse(v.createdAt())).isAfter(before);
    List<AuditRecordInfo> records =
        root.audit(
                Optional.empty(),
                Optional.of("rcb/app/KEY"),
                Optional.of("secret.restore"),
                Optional.empty())
            .records();
    assertThat(records)
        .singleElement()
        .satisfies(r -> {
          assertThat(r.tokenId()).isEqualTo(admin.id());
          assertThat(r.toString()).doesNotContain("mallory").doesNotContain(CANARY);
        });
  }

  @Test
  void restoreAsCurrent_refusesAPlaceholder_unlessAllowed_andWritesNothingFirst() {
    root.put("rpl/app/API_KEY", new PutSecretRequest(CANARY + "-live-1", null, null, null, null));
    byte[] doc = document("rpl/app/A_NEW", CANARY + "-new", "rpl/app/API_KEY", "changeme");

    KeyturnClientException refused =
        catchThrowableOfType(
            KeyturnClientException.class,
            () ->
                root.restore(
                    doc,
                    "rpl",
                    false,
                    true,
                    false,
                    false,
                    Optional.empty(),
                    Duration.ofSeconds(60)));
    int versionsAfterRefusal = root.history("rpl/app/API_KEY").versions().size();
    int newAfterRefusal = root.list("rpl/app/A_", Optional.empty()).secrets().size();
    RestoreResponse allowed =
        root.restore(
            doc, "rpl", false, true, true, false, Optional.empty(), Duration.ofSeconds(60));

    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.getMessage()).contains("rpl/app/API_KEY").doesNotContain("changeme");
    assertThat(versionsAfterRefusal).isEqualTo(1);
    assertThat(newAfterRefusal).as("nothing written before the check").isZero();
    assertThat(allowed.asCurrent()).isEqualTo(1);
    assertThat(root.history("rpl/app/API_KEY").versions()).hasSize(2);
  }

  @Test
  void restore_refusesAnotherNameAsItStreams_withoutReadingTheRestOfTheBody() throws Exception {
    withGrants("admin:rse/*").close();
    String token = lastToken;
    byte[] head =
        ("{\"format\":\"keyturn-backup\",\"format_version\":1,"
                + "\"created_at\":\"2026-01-01T00:00:00Z\",\"server_id\":\"s\","
                + "\"root_key_id\":\"rk\",\"audit_checkpoint\":null,\"prefix\":\"\",\"secrets\":["
                + secret("zzz/other/KEY", CANARY + "-other"))
            .getBytes(StandardCharsets.UTF_8);
    byte[] more = ("," + secret("rse/x/K", CANARY + "-more")).getBytes(StandardCharsets.UTF_8);
    long[] sent = {0};
    long total = 400L * 1024 * 1024;
    InputStream body =
        new InputStream() {
          private byte[] chunk = head;
          private int at;

          @Override
          public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (sent[0] >= total) {
              return -1;
            }
            if (at == chunk.length) {
              chunk = more;
              at = 0;
            }
            int n = Math.min(len, chunk.length - at);
            System.arraycopy(chunk, at, b, off, n);
            at += n;
            sent[0] += n;
            return n;
          }
        };
    HttpClient http = HttpClient.newHttpClient();

    int status;
    try {
      status =
          http.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + server.port() + "/v1/restores"))
                      .header("Authorization", "Bearer " + token)
                      .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .statusCode();
    } catch (IOException e) {
      // The server answered and closed the connection while the body was still being sent.
      status = -1;
    }

    assertThat(status).isIn(403, -1);
    assertThat(sent[0]).as("bytes sent before the refusal").isLessThan(64L * 1024 * 1024);
    assertThat(root.list("rse/", Optional.empty()).secrets()).isEmpty();
    // The refusal is audited before it is answered; a client cut off mid-body may not see it.
    List<AuditRecordInfo> refusals = List.of();
    for (int i = 0; i < 50 && refusals.isEmpty(); i++) {
      Thread.sleep(i == 0 ? 0 : 100);
      refusals =
          root.audit(
                  Optional.empty(),
                  Optional.empty(),
                  Optional.of("backup.restore"),
                  Optional.of("denied"),
                  Optional.empty())
              .records();
    }
    assertThat(refusals).isNotEmpty();
    assertThat(refusals.toString()).doesNotContain(CANARY);
  }

  @Test
  void restore_bringsBackARule_andTheSecretRotatesWhenItIsNextDue() throws Exception {
    String name = "rrl/app/TOKEN";
    String made = java.time.Instant.now().minus(Duration.ofDays(40)).toString();
    // The document claims a global admin set the rule; the restoring token is not one.
    String rule = ruleJson(monthly(name).setByGlobalAdmin(true).build());
    WireClient admin = withGrants("admin:rrl/*");

    RestoreResponse done =
        restore(admin, documentOf(List.of(secret(name, CANARY + "-rrl", made, rule))), "");

    assertThat(done.steps())
        .singleElement()
        .satisfies(s -> assertThat(s.detail()).contains("rule restored"));
    RuleResponse stored = root.rule(name);
    assertThat(stored.rule().every()).isEqualTo("30d");
    assertThat(stored.rule().owner()).isEqualTo("team-restore");
    // Due 30 days after the backup's current version was made, so overdue, and caught up at once
    // by the scheduler: the state after the next rotation, not the restore's echo.
    List<VersionInfo> versions = List.of();
    for (int i = 0;
        i < 300
            && versions.stream().noneMatch(v -> v.version() == 2 && v.stage().equals("current"));
        i++) {
      Thread.sleep(100);
      versions = root.history(name).versions();
    }
    assertThat(versions)
        .filteredOn(v -> v.stage().equals("current"))
        .extracting(VersionInfo::version)
        .containsExactly(2);
    assertThat(root.rule(name).nextDue()).isNotNull();
    assertThat(java.time.Instant.parse(root.rule(name).nextDue()))
        .isAfter(java.time.Instant.now().plus(Duration.ofDays(29)));
  }

  @Test
  void restore_badRule_refusesTheWholeRestore_unlessSkipBadRules() {
    String bad = ruleJson(monthly("rbr/app/B").targetType("no-such-target").build());
    byte[] doc =
        documentOf(
            List.of(
                secret("rbr/app/A", CANARY + "-a"),
                secret("rbr/app/B", CANARY + "-b", "2001-01-01T00:00:00Z", bad)));

    KeyturnClientException refused =
        catchThrowableOfType(KeyturnClientException.class, () -> restore(root, doc, "rbr"));
    int afterRefusal = root.list("rbr/", Optional.empty()).secrets().size();
    RestoreResponse skipped =
        root.restore(
            doc, "rbr", false, false, false, true, Optional.empty(), Duration.ofSeconds(60));

    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.getMessage()).contains("rbr/app/B").contains("rule");
    assertThat(afterRefusal).as("nothing written").isZero();
    assertThat(skipped.created()).isEqualTo(2);
    assertThat(skipped.steps())
        .filteredOn(s -> s.name().equals("rbr/app/B"))
        .singleElement()
        .satisfies(s -> assertThat(s.detail()).contains("rule not restored"));
    assertThat(status(() -> root.rule("rbr/app/B"))).isEqualTo(404);
  }

  @Test
  void restore_ruleNamingASecretTheTokenCannotRead_isRefused_andWritesNothing() {
    String rule =
        ruleJson(
            monthly("rnr/app/PASSWORD")
                .targetType("postgres")
                .target(java.util.Map.of("admin", "rnr/ops/PG_ADMIN"))
                .build());
    byte[] doc =
        documentOf(
            List.of(secret("rnr/app/PASSWORD", CANARY + "-pw", "2001-01-01T00:00:00Z", rule)));
    WireClient appAdmin = withGrants("admin:rnr/app/*");

    int status = status(() -> restore(appAdmin, doc, ""));

    assertThat(status).isEqualTo(403);
    assertThat(root.list("rnr/", Optional.empty()).secrets()).isEmpty();
  }

  private static RestoreResponse restore(WireClient client, byte[] doc, String prefix) {
    return client.restore(doc, prefix, false, false, Optional.empty(), Duration.ofSeconds(60));
  }
}
