package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.store.JdbcStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real server process started with {@code --unseal-shares 3} and no root key: sealed (503 {@code
 * sealed} everywhere but health and unseal), holding no byte of the root key, the metadata key or a
 * data key in its heap; junk shares do not keep it sealed; {@code keyturn unseal --stdin} with the
 * third real share opens it, and the secret written before reads back. {@code keyturn root-key
 * rotate --shares N} then {@code --confirm} rotates the key such a server holds.
 */
class SealedStartTest {
  private static final Pattern SEALED = Pattern.compile("sealed, listening on http://[^:]+:(\\d+)");
  private static final String CANARY = "canary-sealed-start-5f1e";
  private static final String ROTATE_CANARY = "canary-cli-share-rotate-19d4";

  @TempDir Path dir;

  @Test
  void sealedServer_answersOnlyHealthAndUnseal_holdsNoKey_andOpensWithThreeShares()
      throws Exception {
    Path data = dir.resolve("keyturn-data");
    // A store with a secret in it, made the ordinary way (the root key in DATA/root.key).
    try (var server =
        dev.keyturn.server.KeyturnServer.start(
            dev.keyturn.server.ServerConfig.local(
                data,
                "127.0.0.1",
                0,
                "jdbc:sqlite:" + data.resolve("keyturn.db"),
                java.util.Optional.empty()),
            Clock.systemUTC(),
            new SecureRandom())) {
      String token = Files.readString(data.resolve("root.token")).strip();
      HttpResponse<String> put =
          http(
              "PUT",
              server.port(),
              "/v1/secrets/app/prod/API_KEY",
              token,
              "{\"value\": \"" + CANARY + "\"}");
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    }
    String token = Files.readString(data.resolve("root.token")).strip();
    RootKey key = RootKey.fromBase64(Files.readString(data.resolve("root.key")));
    List<String> shares = key.split(5, 3, new SecureRandom());
    List<byte[]> secrets = keysOf(key, data);
    Files.delete(data.resolve("root.key"));

    Process server = startSealed(data);
    try {
      int port = portOf(server);
      HttpResponse<String> health = http("GET", port, "/v1/health", null, null);
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"status\":\"sealed\"");
      for (String[] call :
          List.of(
              new String[] {"GET", "/v1/secrets/app/prod/API_KEY"},
              new String[] {"GET", "/v1/secrets?prefix=app"},
              new String[] {"POST", "/v1/tokens"},
              new String[] {"GET", "/v1/audit"},
              new String[] {"GET", "/metrics"},
              new String[] {"POST", "/v1/seal"})) {
        HttpResponse<String> r = http(call[0], port, call[1], token, "{}");
        assertThat(r.statusCode()).as(call[1]).isEqualTo(503);
        assertThat(r.body()).as(call[1]).startsWith("{\"error\":{\"code\":\"sealed\"");
      }
      assertThat(http("GET", port, "/v1/unseal", null, null).statusCode()).isEqualTo(405);
      assertThat(http("POST", port, "/v1/unseal", null, "{\"share\": \"nope\"}").statusCode())
          .isEqualTo(400);
      assertThat(http("POST", port, "/v1/unseal", null, "[1]").statusCode()).isEqualTo(400);

      assertHeapHoldsNone(server, secrets, "sealed");

      // Junk in the right format, then two real shares: still sealed.
      SecureRandom random = new SecureRandom();
      for (int i = 1; i <= 3; i++) {
        byte[] junk = new byte[44];
        random.nextBytes(junk);
        HttpResponse<String> r =
            http(
                "POST",
                port,
                "/v1/unseal",
                null,
                "{\"share\": \"" + i + "-" + HexFormat.of().formatHex(junk) + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"sealed\":true");
      }
      assertThat(unseal(port, shares.get(4)).out()).startsWith("still sealed: 4 share(s) held");
      assertThat(unseal(port, shares.get(1)).out()).startsWith("still sealed: 5 share(s) held");
      assertThat(http("GET", port, "/v1/secrets/app/prod/API_KEY", token, null).statusCode())
          .isEqualTo(503);
      Run opened = unseal(port, shares.get(2));
      assertThat(opened.code()).as(opened.err()).isZero();
      assertThat(opened.out()).isEqualTo("unsealed: the server is open\n");

      HttpResponse<String> read = http("GET", port, "/v1/secrets/app/prod/API_KEY", token, null);
      assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
      assertThat(read.body()).contains(CANARY);
      assertThat(http("GET", port, "/v1/health", null, null).body()).contains("\"status\":\"ok\"");
      assertThat(unseal(port, shares.get(0)).out()).isEqualTo("unsealed: the server is open\n");
      HttpResponse<String> audit = http("GET", port, "/v1/audit/verify", token, null);
      assertThat(audit.statusCode()).as(audit.body()).isEqualTo(200);
    } finally {
      server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    String log = Files.readString(dir.resolve("server.log"));
    for (String share : shares) {
      assertThat(log).doesNotContain(share.substring(2));
    }
    assertThat(log).doesNotContain(CANARY).contains("unsealed: the shares rebuilt root key");
  }

  @Test
  void rootKeyRotate_sharesThenConfirm_printsTheNewSharesOnce_andTheNewKeyIsInForce()
      throws Exception {
    Path data = dir.resolve("keyturn-data");
    try (var server =
        dev.keyturn.server.KeyturnServer.start(
            dev.keyturn.server.ServerConfig.local(
                data,
                "127.0.0.1",
                0,
                "jdbc:sqlite:" + data.resolve("keyturn.db"),
                java.util.Optional.empty()),
            Clock.systemUTC(),
            new SecureRandom())) {
      client(server.port(), Files.readString(data.resolve("root.token")).strip())
          .put("app/x", new PutSecretRequest(ROTATE_CANARY, null, null, null, null));
    }
    RootKey old = RootKey.fromBase64(Files.readString(data.resolve("root.key")));
    List<String> oldShares = old.split(5, 3, new SecureRandom());
    Files.delete(data.resolve("root.key"));
    String token = Files.readString(data.resolve("root.token")).strip();
    Process process = startSealed(data);
    try {
      int port = portOf(process);
      WireClient root = client(port, token);
      for (String share : oldShares.subList(0, 3)) {
        root.unseal(share);
      }
      String other =
          root.createToken(new TokenCreateRequest("t", List.of("admin:app/*"), null)).token();

      Run refused = cli(port, other, "", "root-key", "rotate", "--shares", "5");
      Run noCount = cli(port, token, "", "root-key", "rotate");
      Run issued = cli(port, token, "", "root-key", "rotate", "--shares", "5", "--qr", "qr");

      assertThat(refused.code()).isNotZero();
      assertThat(refused.err().strip().lines()).hasSize(1);
      assertThat(refused.err()).contains("admin:*");
      assertThat(noCount.code()).isNotZero();
      assertThat(noCount.err().strip().lines()).hasSize(1);
      assertThat(noCount.err()).contains("shares");
      assertThat(issued.code()).as(issued.err()).isZero();
      List<String> shares = issued.out().lines().toList();
      assertThat(shares).hasSize(5).allMatch(s -> s.matches("[1-5]-[0-9a-f]{88}"));
      String newId = RootKey.fromShares(shares.subList(2, 5)).id();
      assertThat(issued.err()).contains(newId).contains("--confirm");
      for (String share : shares) {
        Path png = dir.resolve("qr").resolve("share-" + share.charAt(0) + ".png");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(png)))
            .isEqualTo("rw-------");
        assertThat(RootKeySplitTest.tool("", "zbarimg", "--quiet", "--raw", png.toString()))
            .isEqualTo(share);
      }
      assertThat(root.rootKey().rootKeyId()).isEqualTo(old.id());

      Run wrong =
          cli(
              port,
              token,
              String.join("\n", oldShares.subList(0, 3)) + "\n",
              "root-key",
              "rotate",
              "--confirm",
              "--stdin");
      Run confirmed =
          cli(
              port,
              token,
              String.join("\n", shares.subList(0, 3)) + "\n",
              "root-key",
              "rotate",
              "--confirm",
              "--stdin");

      assertThat(wrong.code()).isNotZero();
      assertThat(wrong.err().strip().lines()).hasSize(1);
      assertThat(wrong.err()).contains(newId).doesNotContain(oldShares.get(0).substring(2));
      assertThat(confirmed.code()).as(confirmed.err()).isZero();
      assertThat(confirmed.out()).contains("root key " + newId + " in force");
      assertThat(root.rootKey().rootKeyId()).isEqualTo(newId);
      assertThat(root.get("app/x").value().stringValue()).isEqualTo(ROTATE_CANARY);
    } finally {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    String log = Files.readString(dir.resolve("server.log"));
    assertThat(log).doesNotContain(ROTATE_CANARY);
  }

  @Test
  void sealedStart_ofAStoreThatRecordsNoKey_isRefused() throws Exception {
    Path data = dir.resolve("fresh");
    Files.createDirectories(data);
    Files.setPosixFilePermissions(
        data, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    Process server = command(data).start();
    assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(server.exitValue()).isEqualTo(1);
    assertThat(Files.readString(dir.resolve("server.log")))
        .contains("--unseal-shares: this store records no root key yet");
    assertThat(data.resolve("root.key")).doesNotExist();
  }

  /** The root key, the metadata key and the secret's data key, as the server would hold them. */
  private static List<byte[]> keysOf(RootKey key, Path data) {
    List<byte[]> keys = new ArrayList<>();
    keys.add(Base64.getDecoder().decode(key.toBase64Line().strip()));
    try (JdbcStore store =
        JdbcStore.open("jdbc:sqlite:" + data.resolve("keyturn.db"), Clock.systemUTC())) {
      Envelope envelope = new Envelope(key, new SecureRandom());
      StoredSecret secret = store.secrets().find(SecretName.of("app/prod/API_KEY")).orElseThrow();
      keys.add(
          envelope
              .unwrapDataKey(
                  secret.wrappedDataKey().orElseThrow(),
                  secret.id(),
                  secret.name().value(),
                  StoredSecret.DATA_KEY)
              .getEncoded());
      keys.add(
          envelope.unwrapMetadataKey(
              Base64.getDecoder().decode(store.settings().setting("metadata-key").orElseThrow())));
    }
    return keys;
  }

  /** A heap dump (jcmd GC.heap_dump) holds none of {@code keys}, raw, hex or base64. */
  private void assertHeapHoldsNone(Process server, List<byte[]> keys, String when)
      throws Exception {
    Path dump = dir.resolve(when + ".hprof");
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p =
        new ProcessBuilder(
                jcmd.toString(), Long.toString(server.pid()), "GC.heap_dump", dump.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    byte[] heap = Files.readAllBytes(dump);
    assertThat(heap.length).isGreaterThan(1_000_000);
    for (byte[] k : keys) {
      List<byte[]> forms =
          List.of(
              k,
              HexFormat.of().formatHex(k).getBytes(StandardCharsets.US_ASCII),
              Base64.getEncoder().encode(k),
              // Half a key is enough to find one: a window of 16 bytes.
              java.util.Arrays.copyOfRange(k, 8, 24));
      for (byte[] form : forms) {
        assertThat(indexOf(heap, form)).as(when + ": a key found in the heap dump").isEqualTo(-1);
      }
    }
    Files.delete(dump);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private ProcessBuilder command(Path data) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return new ProcessBuilder(
            java.toString(),
            "-cp",
            System.getProperty("java.class.path"),
            "dev.keyturn.server.Main",
            "--data",
            data.toString(),
            "--listen",
            "127.0.0.1:0",
            "--unseal-shares",
            "3")
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("server.log").toFile());
  }

  private Process startSealed(Path data) throws Exception {
    return command(data).start();
  }

  private int portOf(Process server) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      String log = Files.readString(dir.resolve("server.log"));
      Matcher m = SEALED.matcher(log);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      assertThat(server.isAlive()).as(log).isTrue();
      Thread.sleep(100);
    }
    throw new AssertionError("not sealed:\n" + Files.readString(dir.resolve("server.log")));
  }

  record Run(int code, String out, String err) {}

  private Run unseal(int port, String share) {
    return cli(port, "", share + "\n", "unseal", "--stdin");
  }

  /** {@code keyturn ARGS} with {@code token} against the server on {@code port}. */
  private Run cli(int port, String token, String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.US_ASCII)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            token.isEmpty()
                ? Map.of("KEYTURN_ADDR", "http://127.0.0.1:" + port)
                : Map.of("KEYTURN_ADDR", "http://127.0.0.1:" + port, "KEYTURN_TOKEN", token),
            dir,
            dir,
            false);
    int code = KeyturnCli.run(io, args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static WireClient client(int port, String token) {
    return WireClient.builder().address("http://127.0.0.1:" + port).token(token).build();
  }

  private static HttpResponse<String> http(
      String method, int port, String path, String token, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
  }
}
