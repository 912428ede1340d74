package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.server.KeyturnServer;
import dev.keyturn.server.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyturn root-key rotate} against a real server. */
class RootKeyRotateTest {
  @TempDir Path dir;

  @Test
  void rotate_adminStar_waitsForTheEnd_andTheNewKeyIsInForce() throws Exception {
    Path data = dir.resolve("keyturn-data");
    try (KeyturnServer server = start(data, Optional.empty())) {
      WireClient root = client(server, token(data));
      root.put("app/x", new PutSecretRequest("v-canary-3b1e", null, null, null, null));
      String before = root.rootKey().rootKeyId();

      Run run = cli(server, token(data), "root-key", "rotate");

      String now = RootKey.fromBase64(Files.readString(data.resolve("root.key"))).id();
      assertThat(run.code()).as(run.err()).isZero();
      assertThat(run.out())
          .contains("root key rotation from " + before + " to " + now)
          .contains("root key " + now + " in force")
          .contains("root.key.old-" + before)
          .doesNotContain("canary");
      assertThat(now).isNotEqualTo(before);
      assertThat(root.get("app/x").value().stringValue()).isEqualTo("v-canary-3b1e");
    }
  }

  @Test
  void rotate_json_printsTheFinalState() throws Exception {
    Path data = dir.resolve("keyturn-data");
    try (KeyturnServer server = start(data, Optional.empty())) {
      Run run = cli(server, token(data), "root-key", "rotate", "--json");

      assertThat(run.code()).as(run.err()).isZero();
      assertThat(run.out()).contains("\"state\":\"idle\"").contains("\"root_key_id\":\"rk-");
    }
  }

  @Test
  void rotate_withoutAdminStar_oneLineOnStderrAndNothingChanges() throws Exception {
    Path data = dir.resolve("keyturn-data");
    try (KeyturnServer server = start(data, Optional.empty())) {
      WireClient root = client(server, token(data));
      String before = root.rootKey().rootKeyId();
      for (String grant : List.of("admin:app/*", "rotate:*")) {
        String other = root.createToken(new TokenCreateRequest("t", List.of(grant), null)).token();

        Run run = cli(server, other, "root-key", "rotate");

        assertThat(run.code()).as(grant).isNotZero();
        assertThat(run.err().strip().lines()).as(grant).hasSize(1);
        assertThat(run.err()).contains("admin:*");
      }
      assertThat(root.rootKey().rootKeyId()).isEqualTo(before);
      assertThat(data.resolve("root.key.new")).doesNotExist();
    }
  }

  @Test
  void rotate_keyFromEnvironment_refusedWithTheReason() throws Exception {
    Path data = dir.resolve("keyturn-data");
    String key = RootKey.generate(new SecureRandom()).toBase64Line().strip();
    try (KeyturnServer server = start(data, Optional.of(key))) {
      Run run = cli(server, token(data), "root-key", "rotate");

      assertThat(run.code()).isNotZero();
      assertThat(run.err().strip().lines()).hasSize(1);
      assertThat(run.err()).contains("KEYTURN_ROOT_KEY").doesNotContain(key);
      assertThat(data.resolve("root.key.new")).doesNotExist();
    }
  }

  private static KeyturnServer start(Path data, Optional<String> key) {
    return KeyturnServer.start(
        ServerConfig.local(data, "127.0.0.1", 0, "jdbc:sqlite:" + data.resolve("keyturn.db"), key),
        Clock.systemUTC(),
        new SecureRandom());
  }

  private static String token(Path data) throws Exception {
    return Files.readString(data.resolve("root.token")).strip();
  }

  private static WireClient client(KeyturnServer server, String token) {
    return WireClient.builder().address("http://127.0.0.1:" + server.port()).token(token).build();
  }

  record Run(int code, String out, String err) {}

  private Run cli(KeyturnServer server, String token, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of("KEYTURN_ADDR", "http://127.0.0.1:" + server.port(), "KEYTURN_TOKEN", token),
            dir,
            dir,
            false);
    int code = KeyturnCli.run(io, args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
