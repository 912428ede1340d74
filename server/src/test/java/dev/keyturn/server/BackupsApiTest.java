package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RestoreResponse;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.client.KeyturnClient;
import dev.keyturn.client.KeyturnClientException;
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
  static KeyturnClient root;
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

  private static KeyturnClient client(String token) {
    return KeyturnClient.builder()
        .address("http://127.0.0.1:" + server.port())
        .token(token)
        .build();
  }

  private static KeyturnClient withGrants(String... grants) {
    return client(root.createToken(new TokenCreateRequest("t", List.of(grants), null)).token());
  }

  private static byte[] backupOf(KeyturnClient client, String prefix) throws IOException {
    try (InputStream in = client.backup(prefix)) {
      return in.readAllBytes();
    }
  }

  private static int status(Runnable call) {
    return catchThrowableOfType(KeyturnClientException.class, call::run).status();
  }

  @Test
  void backup_needsAdminCoveringTheWholePrefix() throws IOException {
    KeyturnClient reader = withGrants("read:*");
    KeyturnClient otherAdmin = withGrants("admin:other/*");
    KeyturnClient partAdmin = withGrants("admin:app/db/*", "read:app/*");
    KeyturnClient appAdmin = withGrants("admin:app/*");

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

  private static void read(KeyturnClient client, String prefix) {
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
    KeyturnClient reader = withGrants("read:*", "write:*");
    KeyturnClient rstAdmin = withGrants("admin:rst/*");
    KeyturnClient rsxAdmin = withGrants("admin:rsx/*");
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

  private static RestoreResponse restore(KeyturnClient client, byte[] doc, String prefix) {
    return client.restore(doc, prefix, false, false, Optional.empty(), Duration.ofSeconds(60));
  }
}
