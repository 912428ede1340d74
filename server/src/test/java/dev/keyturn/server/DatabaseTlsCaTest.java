package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.WireJson;
import dev.keyturn.client.KeyturnInvalidRequestException;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.internal.WireClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CA a database target's TLS trusts is the JVM's or a file the operator declares ({@code
 * tls-ca-files:} in the server's configuration file), never a path an API caller or a stored value
 * chooses. The bait is a FIFO with a writer waiting on it: the writer gets through its open only if
 * something opens the FIFO for reading, so "never opened" is read off the writer, not off a clock.
 */
class DatabaseTlsCaTest {
  private static final String DB = "app/DATABASE";
  private static final String ADMIN = "app/DATABASE_ADMIN";

  @TempDir Path dir;
  private Path ca;
  private Path bait;
  private final AtomicBoolean baitOpened = new AtomicBoolean();
  private Thread baitWriter;
  private RunningServer server;
  private WireClient root;
  private WireClient scopedAdmin;
  private WireClient writer;

  @BeforeEach
  void start() throws Exception {
    ca = dir.resolve("declared-ca.pem");
    run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        dir.resolve("ca.key").toString(),
        "-out",
        ca.toString(),
        "-days",
        "2",
        "-subj",
        "/CN=keyturn test CA");
    bait = dir.resolve("bait.pem");
    run("mkfifo", bait.toString());
    byte[] pem = Files.readAllBytes(ca); // a valid CA: the old code accepted it once read
    baitWriter =
        Thread.ofPlatform()
            .start(() -> {
              try (OutputStream out = Files.newOutputStream(bait)) {
                baitOpened.set(true);
                out.write(pem);
              } catch (IOException e) {
                // the test's own reader below closed early: nothing to report
              }
            });
    server =
        RunningServer.startWithConfig(
            dir.resolve("data"), "tls-ca-files: ['" + ca + "']\noutbound:\n  allow: [127.0.0.1]\n");
    root = server.client();
    scopedAdmin = server.client(server.token("admin:app/*"));
    writer = server.client(server.token("write:app/*", "read:app/*"));
    root.put(ADMIN, json(value("postgres", "admin-pw", "")));
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    // Release the writer if nothing opened the FIFO, so that no thread outlives the test. (Had the
    // server opened it, it would have read to the writer's close, which follows baitOpened.)
    if (!baitOpened.get()) {
      try (InputStream in = Files.newInputStream(bait)) {
        in.readAllBytes();
      }
    }
    baitWriter.join();
  }

  @Test
  void aTlsCaPath_theOperatorDidNotDeclare_isRefusedWith400_andNeverOpened() throws IOException {
    Path undeclared = Files.copy(ca, dir.resolve("undeclared-ca.pem"));
    root.put(DB, json(value("app", "app-pw", "")));

    for (WireClient admin : List.of(scopedAdmin, root)) {
      for (String path : List.of(bait.toString(), "/etc/shadow", undeclared.toString())) {
        assertThatThrownBy(() -> admin.putRule(DB, rule(Map.of("tls-ca", path))))
            .as(path)
            .isInstanceOf(KeyturnInvalidRequestException.class)
            .hasMessageContaining("tls-ca must name a CA file the server's configuration file")
            .hasMessageContaining("tls-ca-files");
      }
    }

    assertThat(baitOpened).as("the server opened the bait").isFalse();
    assertThatThrownBy(() -> root.rule(DB)).isInstanceOf(KeyturnNotFoundException.class);
  }

  @Test
  void sslrootcertInAWritersValue_isNotTakenForTheCa_andNeverOpened() {
    writer.put(
        DB,
        json(
            value(
                "app",
                "app-pw",
                ",\"sslmode\":\"verify-full\",\"sslrootcert\":\""
                    + bait
                    + "\""
                    + ",\"serverSslCert\":\""
                    + bait
                    + "\"")));

    scopedAdmin.putRule(DB, rule(Map.of()));

    assertThat(root.rule(DB).rule().target())
        .containsEntry("tls", "verify-full")
        .doesNotContainKey("tls-ca");
    assertThat(baitOpened).as("the server opened the bait").isFalse();
  }

  @Test
  void aDeclaredCaFile_isPinnedByTheRule() {
    root.put(DB, json(value("app", "app-pw", "")));

    scopedAdmin.putRule(DB, rule(Map.of("tls-ca", ca.toString())));

    assertThat(root.rule(DB).rule().target())
        .containsEntry("tls", "verify-full")
        .containsEntry("tls-ca", ca.toString());
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("%s: %s", command[0], out).isZero();
  }

  private static String value(String user, String password, String extra) {
    return "{\"engine\":\"postgresql\",\"host\":\"127.0.0.1\",\"port\":5432,\"dbname\":\"app\","
        + "\"username\":\""
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

  private static RuleBody rule(Map<String, String> settings) {
    Map<String, String> target = new HashMap<>(settings);
    target.put("type", "postgresql");
    target.put("admin", ADMIN);
    target.put("tls", "verify-full");
    return new RuleBody(
        "base64url:24",
        "30d",
        null,
        null,
        "single-user",
        null,
        target,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }
}
