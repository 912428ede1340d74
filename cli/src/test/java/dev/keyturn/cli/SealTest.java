package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
 * {@code keyturn seal} on real server processes: refused to tokens without {@code admin:*}; after
 * it, every route but health and unseal answers 503 {@code sealed}, and a heap dump (jcmd
 * GC.heap_dump) holds no byte sequence of the root key, the metadata key, the audit chain key or a
 * data key that was in use; K shares open it again (started with {@code --unseal-shares}), or only
 * a restart does (started without).
 */
class SealTest {
  private static final Pattern LISTENING =
      Pattern.compile("Keyturn listening on http://[^:]+:(\\d+)");
  private static final String CANARY = "canary-seal-9c3d";
  private static final String SECOND = "canary-seal-second-71b0";

  @TempDir Path dir;

  @Test
  void seal_withShares_refusesOthers_dropsEveryKey_andSharesOpenIt() throws Exception {
    Path data = store();
    String token = Files.readString(data.resolve("root.token")).strip();
    RootKey key = RootKey.fromBase64(Files.readString(data.resolve("root.key")));
    List<String> shares = key.split(5, 3, new SecureRandom());
    List<byte[]> keys = keysOf(key, data);

    Process server = command(data, "--unseal-shares", "3").start();
    try {
      int port = portOf(server, "server.log");
      // The data keys are in use (cached) before the seal.
      assertThat(read(port, token, "app/prod/API_KEY")).contains(CANARY);
      assertThat(read(port, token, "ops/DB_PASSWORD")).contains(SECOND);
      String prefixAdmin = token(port, token, "admin:app/*");
      String reader = token(port, token, "read:*");
      for (String other : List.of(prefixAdmin, reader)) {
        HttpResponse<String> refused = http("POST", port, "/v1/seal", other, "{}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
        assertThat(refused.body()).contains("\"code\":\"forbidden\"");
      }
      assertThat(read(port, token, "app/prod/API_KEY")).contains(CANARY);

      // The dump and the search find a key the server holds: the root key, while open.
      assertThat(indexOf(heapDump(server, "open"), keys.get(0))).isNotEqualTo(-1);

      Run sealed = cli(port, token, null, "seal");

      assertThat(sealed.code()).as(sealed.err()).isZero();
      assertThat(sealed.out())
          .startsWith("sealed: root key " + key.id() + " and every data key dropped")
          .contains("to open: 3 root key shares with 'keyturn unseal'")
          .contains("note: DATA/root.key is still on disk");
      assertSealedEverywhere(port, token);
      assertHeapHoldsNone(server, keys, "after-seal");
      assertThat(cli(port, token, null, "seal").code()).isNotZero();

      assertThat(unseal(port, shares.get(0)).out()).startsWith("still sealed: 1 share(s) held");
      assertThat(unseal(port, shares.get(3)).out()).startsWith("still sealed: 2 share(s) held");
      Run opened = unseal(port, shares.get(4));
      assertThat(opened.code()).as(opened.err()).isZero();
      assertThat(opened.out()).isEqualTo("unsealed: the server is open\n");
      assertThat(read(port, token, "app/prod/API_KEY")).contains(CANARY);
      HttpResponse<String> put =
          http("PUT", port, "/v1/secrets/app/prod/API_KEY", token, "{\"value\": \"after-seal-1\"}");
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      HttpResponse<String> verify = http("GET", port, "/v1/audit/verify", token, null);
      assertThat(verify.statusCode()).as(verify.body()).isEqualTo(200);
      assertThat(verify.body()).contains("\"ok\":true");
      HttpResponse<String> audit = http("GET", port, "/v1/audit?action=server.seal", token, null);
      assertThat(audit.body()).contains("\"result\":\"forbidden\"").contains("\"result\":\"ok\"");

      // Sealed again after the reopening: the keys of the new open part are dropped too.
      assertThat(cli(port, token, null, "seal").code()).isZero();
      assertHeapHoldsNone(server, keys, "second-seal");
    } finally {
      server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    String log = Files.readString(dir.resolve("server.log"));
    for (String share : shares) {
      assertThat(log).doesNotContain(share.substring(2));
    }
    assertThat(log).doesNotContain(CANARY).doesNotContain(SECOND);
  }

  @Test
  void seal_withoutShares_opensOnlyByARestartWithTheKey() throws Exception {
    Path data = store();
    String token = Files.readString(data.resolve("root.token")).strip();
    RootKey key = RootKey.fromBase64(Files.readString(data.resolve("root.key")));
    List<byte[]> keys = keysOf(key, data);

    Process server = command(data).start();
    try {
      int port = portOf(server, "server.log");
      assertThat(read(port, token, "app/prod/API_KEY")).contains(CANARY);

      Run sealed = cli(port, token, null, "seal", "--json");

      assertThat(sealed.code()).as(sealed.err()).isZero();
      assertThat(sealed.out())
          .contains("\"sealed\":true")
          .contains("\"unseal_with\":\"restart\"")
          .contains("\"root_key_id\":\"" + key.id() + "\"");
      assertSealedEverywhere(port, token);
      HttpResponse<String> unseal =
          http("POST", port, "/v1/unseal", null, "{\"share\": \"1-" + "ab".repeat(44) + "\"}");
      assertThat(unseal.statusCode()).isEqualTo(409);
      assertThat(unseal.body()).contains("restart it with its root key");
      assertHeapHoldsNone(server, keys, "sealed-no-shares");
    } finally {
      server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    Process again = command(data).start();
    try {
      int port = portOf(again, "server.log");
      assertThat(read(port, token, "app/prod/API_KEY")).contains(CANARY);
    } finally {
      again.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** A store with two secrets in it, made the ordinary way (the root key in DATA/root.key). */
  private Path store() throws Exception {
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
      String token = Files.readString(data.resolve("root.token")).strip();
      for (String[] s :
          List.of(
              new String[] {"app/prod/API_KEY", CANARY},
              new String[] {"ops/DB_PASSWORD", SECOND})) {
        HttpResponse<String> put =
            http(
                "PUT",
                server.port(),
                "/v1/secrets/" + s[0],
                token,
                "{\"value\": \"" + s[1] + "\"}");
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      }
    }
    return data;
  }

  private static void assertSealedEverywhere(int port, String token) throws Exception {
    HttpResponse<String> health = http("GET", port, "/v1/health", null, null);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"status\":\"sealed\"");
    for (String[] call :
        List.of(
            new String[] {"GET", "/v1/secrets/app/prod/API_KEY"},
            new String[] {"PUT", "/v1/secrets/app/prod/API_KEY"},
            new String[] {"GET", "/v1/secrets?prefix=app"},
            new String[] {"GET", "/v1/keyrings/app/prod/API_KEY"},
            new String[] {"GET", "/v1/bundles?prefix=app"},
            new String[] {"POST", "/v1/tokens"},
            new String[] {"GET", "/v1/audit"},
            new String[] {"GET", "/v1/watch?prefix=app"},
            new String[] {"GET", "/metrics"},
            new String[] {"GET", "/v1/openapi.json"},
            new String[] {"POST", "/v1/seal"},
            new String[] {"GET", "/v1/nothing-here"})) {
      HttpResponse<String> r = http(call[0], port, call[1], token, "{}");
      assertThat(r.statusCode()).as(call[1]).isEqualTo(503);
      assertThat(r.body()).as(call[1]).startsWith("{\"error\":{\"code\":\"sealed\"");
    }
  }

  /** The root key, the metadata key, the audit chain key and both secrets' data keys. */
  private static List<byte[]> keysOf(RootKey key, Path data) {
    List<byte[]> keys = new ArrayList<>();
    keys.add(Base64.getDecoder().decode(key.toBase64Line().strip()));
    keys.add(key.derive("keyturn audit chain v1"));
    try (JdbcStore store =
        JdbcStore.open("jdbc:sqlite:" + data.resolve("keyturn.db"), Clock.systemUTC())) {
      Envelope envelope = new Envelope(key, new SecureRandom());
      for (String name : List.of("app/prod/API_KEY", "ops/DB_PASSWORD")) {
        StoredSecret secret = store.secrets().find(SecretName.of(name)).orElseThrow();
        keys.add(
            envelope
                .unwrapDataKey(
                    secret.wrappedDataKey().orElseThrow(),
                    secret.id(),
                    secret.name().value(),
                    StoredSecret.DATA_KEY)
                .getEncoded());
      }
      keys.add(
          envelope.unwrapMetadataKey(
              Base64.getDecoder().decode(store.settings().setting("metadata-key").orElseThrow())));
    }
    return keys;
  }

  /** A heap dump (jcmd GC.heap_dump) holds none of {@code keys}, raw, hex or base64. */
  private void assertHeapHoldsNone(Process server, List<byte[]> keys, String when)
      throws Exception {
    byte[] heap = heapDump(server, when);
    int n = 0;
    for (byte[] k : keys) {
      List<byte[]> forms =
          List.of(
              k,
              HexFormat.of().formatHex(k).getBytes(StandardCharsets.US_ASCII),
              Base64.getEncoder().encode(k),
              // Half a key is enough to find one: a window of 16 bytes.
              java.util.Arrays.copyOfRange(k, 8, 24));
      for (int f = 0; f < forms.size(); f++) {
        int at = indexOf(heap, forms.get(f));
        if (at != -1) {
          // Kept for a look at what holds it (hprof: who refers to the object at that offset).
          Files.write(dir.resolveSibling("seal-" + when + ".hprof"), heap);
        }
        assertThat(at)
            .as(when + ": key " + n + " (form " + f + ") found in the heap dump")
            .isEqualTo(-1);
      }
      n++;
    }
  }

  /** The server's live objects as jcmd GC.heap_dump writes them (after a full GC). */
  private byte[] heapDump(Process server, String when) throws Exception {
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
    Files.delete(dump);
    return heap;
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

  private ProcessBuilder command(Path data, String... more) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> args =
        new ArrayList<>(
            List.of(
                java.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.keyturn.server.Main",
                "--data",
                data.toString(),
                "--listen",
                "127.0.0.1:0"));
    args.addAll(List.of(more));
    return new ProcessBuilder(args)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("server.log").toFile());
  }

  private int portOf(Process server, String logName) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      String log = Files.readString(dir.resolve(logName));
      Matcher m = LISTENING.matcher(log);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      assertThat(server.isAlive()).as(log).isTrue();
      Thread.sleep(100);
    }
    throw new AssertionError("not listening:\n" + Files.readString(dir.resolve(logName)));
  }

  private static String read(int port, String token, String name) throws Exception {
    HttpResponse<String> r = http("GET", port, "/v1/secrets/" + name, token, null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  private static String token(int port, String admin, String grant) throws Exception {
    HttpResponse<String> r =
        http("POST", port, "/v1/tokens", admin, "{\"grants\": [\"" + grant + "\"]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Matcher m = Pattern.compile("\"token\":\"([^\"]+)\"").matcher(r.body());
    assertThat(m.find()).as(r.body()).isTrue();
    return m.group(1);
  }

  record Run(int code, String out, String err) {}

  private Run unseal(int port, String share) {
    return cli(port, null, share + "\n", "unseal", "--stdin");
  }

  private Run cli(int port, String token, String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> env =
        token == null
            ? Map.of("KEYTURN_ADDR", "http://127.0.0.1:" + port)
            : Map.of("KEYTURN_ADDR", "http://127.0.0.1:" + port, "KEYTURN_TOKEN", token);
    Io io =
        new Io(
            new ByteArrayInputStream(
                (stdin == null ? "" : stdin).getBytes(StandardCharsets.US_ASCII)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env,
            dir,
            dir,
            false);
    int code = KeyturnCli.run(io, args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> http(
      String method, int port, String path, String token, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(60))
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
