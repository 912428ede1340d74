package dev.keyturn.cli;

import dev.keyturn.core.LeakDigests;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Map;

/**
 * The training run for the JDK 25 AOT cache that {@code bin/keyturn} makes when it builds the jar:
 * runs {@code generate}, {@code --help}, {@code get}, {@code put --stdin}, {@code ls}, {@code
 * status}, {@code keyring}, {@code hmac sign|verify}, {@code fernet encrypt|decrypt}, {@code run
 * --path P -- true}, {@code jwt sign} and {@code jwt verify} (an HMAC key, whose token read is
 * refused, exit 3; an ES256 key, whose token is verified), {@code run --secret NAME -- true},
 * {@code history}, {@code describe} and {@code scan} of a file holding a managed value, as the
 * bench runs it and with patterns (the last four through picocli, for every command that uses it)
 * through the same code as {@code keyturn} does, against a loopback responder in this JVM that
 * answers as a server would. No server, data folder or fixed port is needed, so a build never waits
 * for a server or collides with one. Prints nothing; exits non-zero if a command failed.
 */
public final class AotTraining {
  /** The managed value of the {@code scan} training: 25 bytes, so 8-byte windows. */
  private static final String SCAN_VALUE = "training-scan-0123456789a";

  private static final Map<String, String> ANSWERS =
      Map.ofEntries(
          Map.entry("POST /v1/fingerprints", fingerprints()),
          Map.entry("GET /v1/keyrings/app/training/ES256", ecKeyring("app/training/ES256")),
          Map.entry(
              "GET /v1/keyrings/app/training/JWT",
              "{\"name\":\"app/training/JWT\",\"versions\":[{\"version\":1,"
                  + "\"stage\":\"current\",\"value\":"
                  + "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
                  + "\"accept_until\":null}],\"generator\":\"hex:32\",\"grace\":\"1d\"}"),
          Map.entry(
              "GET /v1/secrets/app/training/KEY",
              "{\"name\":\"app/training/KEY\",\"version\":1,\"stage\":\"current\","
                  + "\"value\":\"0123456789abcdef\",\"created_at\":\"2026-01-01T00:00:00Z\"}"),
          Map.entry(
              "PUT /v1/secrets/app/training/KEY",
              "{\"name\":\"app/training/KEY\",\"version\":2,\"stage\":\"current\","
                  + "\"created_at\":\"2026-01-01T00:00:00Z\",\"accept_until\":null}"),
          Map.entry(
              "GET /v1/secrets",
              "{\"secrets\":[{\"name\":\"app/training/KEY\",\"current_version\":2,"
                  + "\"version_count\":2,\"updated_at\":\"2026-01-01T00:00:00Z\"}],"
                  + "\"next_page_token\":null}"),
          Map.entry(
              "GET /v1/bundles",
              "{\"prefix\":\"app/training\",\"secrets\":[{\"name\":\"app/training/KEY\","
                  + "\"version\":2,\"stage\":\"current\",\"type\":\"string\","
                  + "\"value\":\"0123456789abcdef\",\"created_at\":\"2026-01-01T00:00:00Z\","
                  + "\"fallbacks\":null}]}"),
          Map.entry(
              "GET /v1/status",
              "{\"secrets\":[{\"name\":\"app/training/KEY\",\"owner\":\"\",\"strategy\":null,"
                  + "\"last_rotated\":\"2026-01-01T00:00:00Z\",\"next_due\":null,"
                  + "\"grace_until\":null,\"state\":\"no rule\",\"rotation_id\":null,"
                  + "\"type\":\"string\",\"current_version\":1}],\"backups\":null}"),
          // history and describe train the picocli commands that share the JDK HTTP client
          Map.entry(
              "GET /v1/versions/app/training/KEY",
              "{\"name\":\"app/training/KEY\",\"versions\":[{\"version\":1,"
                  + "\"stage\":\"current\",\"type\":\"string\","
                  + "\"created_at\":\"2026-01-01T00:00:00Z\",\"created_by\":\"root\","
                  + "\"accept_until\":null,\"fingerprint\":\"240f152c0379c56fefc3212067d46135\"}]}"),
          Map.entry(
              "GET /v1/metadata/app/training/KEY",
              "{\"name\":\"app/training/KEY\",\"type\":\"string\",\"current_version\":1,"
                  + "\"pending_version\":null,\"previous_version\":null,\"version_count\":1,"
                  + "\"created_at\":\"2026-01-01T00:00:00Z\","
                  + "\"updated_at\":\"2026-01-01T00:00:00Z\",\"deleted\":false,"
                  + "\"destroyed\":false}"),
          Map.entry(
              "GET /v1/keyrings/app/training/KEY",
              "{\"name\":\"app/training/KEY\",\"versions\":[{\"version\":2,"
                  + "\"stage\":\"current\",\"value\":\"0123456789abcdef\",\"accept_until\":null},"
                  + "{\"version\":1,\"stage\":\"previous\",\"value\":\"fedcba9876543210\","
                  + "\"accept_until\":\"2026-01-02T00:00:00Z\"}]}"),
          Map.entry(
              "GET /v1/keyrings/app/training/FERNET",
              "{\"name\":\"app/training/FERNET\",\"versions\":[{\"version\":1,"
                  + "\"stage\":\"current\","
                  + "\"value\":\"cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=\","
                  + "\"accept_until\":null}]}"));

  private AotTraining() {}

  public static void main(String[] args) throws IOException {
    try (ServerSocket listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      Thread responder = new Thread(() -> answer(listener), "aot-training-responder");
      responder.setDaemon(true);
      responder.start();
      Map<String, String> env =
          Map.of(
              "KEYTURN_ADDR",
              "http://127.0.0.1:" + listener.getLocalPort(),
              "KEYTURN_TOKEN",
              "kt_training_only");
      int failed = 0;
      String[][] lines = {
        {"--help"},
        {"get", "app/training/KEY"},
        {"put", "app/training/KEY", "--stdin"},
        {"ls"},
        {"status"},
        {"get", "app/training/NONE"},
        {"keyring", "app/training/KEY"},
        {"hmac", "sign", "app/training/KEY", "--stdin"},
        {"fernet", "encrypt", "app/training/FERNET", "--stdin"},
      };
      for (String[] line : lines) {
        int code = FastCli.run(io(env), line);
        if (code != (line[line.length - 1].endsWith("NONE") ? ExitCode.NOT_FOUND : 0)) {
          failed++;
        }
      }
      // no version made these: both exit 3 (checked, found nothing)
      String[] verify = {"hmac", "verify", "app/training/KEY", "0".repeat(64), "--stdin"};
      failed += FastCli.run(io(env), verify) == ExitCode.FOUND ? 0 : 1;
      String[] decrypt = {"fernet", "decrypt", "app/training/FERNET", "--stdin"};
      failed += FastCli.run(io(env), decrypt) == ExitCode.FOUND ? 0 : 1;
      // `true` is the training CMD: run --path takes the fast path, run --secret picocli's
      String[] run = {"run", "--path", "app/training", "--", "true"};
      failed += FastCli.run(io(env), run) == 0 ? 0 : 1;
      String[] runOne = {"run", "--secret", "app/training/KEY", "--", "true"};
      failed += KeyturnCli.run(io(env), runOne) == 0 ? 0 : 1;
      failed += KeyturnCli.run(io(env), "history", "app/training/KEY") == 0 ? 0 : 1;
      failed += KeyturnCli.run(io(env), "describe", "app/training/KEY") == 0 ? 0 : 1;
      String[] jwtSign = {"jwt", "sign", "app/training/JWT", "--claims", "{\"sub\":\"training\"}"};
      failed += FastCli.run(io(env), jwtSign) == 0 ? 0 : 1;
      String[] jwtVerify = {"jwt", "verify", "app/training/JWT"};
      failed += FastCli.run(io(env), jwtVerify) == ExitCode.FOUND ? 0 : 1;
      failed += es256(env);
      failed += scan(env);
      String[] generate = {"generate", "hex:32"};
      PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
      failed +=
          FastGenerate.handles(generate) && FastGenerate.run(generate, quiet, quiet) == 0 ? 0 : 1;
      if (failed > 0) {
        System.err.println("keyturn: AOT training: " + failed + " command(s) failed");
        System.exit(1);
      }
    }
  }

  /**
   * {@code scan} of a folder holding the training value once (exit 3, found), as {@code
   * bench/scan.sh} runs it ({@link FastScan}) and with the default patterns and encodings through
   * picocli; returns the failures.
   */
  private static int scan(Map<String, String> env) throws IOException {
    Path folder = Files.createTempDirectory("keyturn-aot-scan");
    Path file = folder.resolve("app.env");
    try {
      Files.writeString(file, "# training\nKEY=" + SCAN_VALUE + "\n" + "x = 1\n".repeat(4096));
      String[] bench = {
        "scan",
        "--threads",
        "1",
        "--no-patterns",
        "--encodings",
        "raw",
        "--prefix",
        "app/training",
        "--format",
        "json",
        folder.toString()
      };
      int failed = FastCli.run(io(env), bench) == ExitCode.FOUND ? 0 : 1;
      String[] plain = {"scan", "--prefix", "app/training", folder.toString()};
      return failed + (KeyturnCli.run(io(env), plain) == ExitCode.FOUND ? 0 : 1);
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(folder);
    }
  }

  /**
   * {@code jwt sign} of an ES256 key, as {@code bench/cli-start.sh} runs it, then {@code jwt
   * verify} of the token it printed (Bouncy Castle's EC arithmetic, the EC key classes, Nimbus's EC
   * JWK); returns the failures.
   */
  private static int es256(Map<String, String> env) {
    ByteArrayOutputStream token = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(token, true, StandardCharsets.UTF_8);
    String[] sign = {"jwt", "sign", "app/training/ES256", "--claims", "{}"};
    if (FastCli.run(io(env, new byte[0], out), sign) != 0) {
      return 1;
    }
    String[] verify = {"jwt", "verify", "app/training/ES256"};
    return FastCli.run(io(env, token.toByteArray(), quiet()), verify) == 0 ? 0 : 1;
  }

  /**
   * The keyring answer of an {@code ec:p256} secret under a rule with a day's grace: one current
   * version, a key made for this training run alone (it signs nothing that leaves it).
   */
  private static String ecKeyring(String name) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      String pem =
          "-----BEGIN PRIVATE KEY-----\\n"
              + Base64.getEncoder()
                  .encodeToString(generator.generateKeyPair().getPrivate().getEncoded())
              + "\\n-----END PRIVATE KEY-----\\n";
      return "{\"name\":\""
          + name
          + "\",\"versions\":[{\"version\":1,\"stage\":\"current\",\"value\":\""
          + pem
          + "\",\"accept_until\":null}],\"generator\":\"ec:p256\",\"grace\":\"1d\"}";
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 key pair generator", e);
    }
  }

  /** The fingerprint answer for {@link #SCAN_VALUE}, under a fixed key (nothing here is secret). */
  private static String fingerprints() {
    byte[] key = new byte[LeakDigests.KEY_BYTES];
    LeakDigests digests = new LeakDigests(key);
    byte[] value = SCAN_VALUE.getBytes(StandardCharsets.UTF_8);
    Base64.Encoder b64 = Base64.getEncoder();
    String digest = b64.encodeToString(digests.digest(value, 0, value.length));
    return "{\"prefix\":\"app/training\",\"key\":\""
        + b64.encodeToString(key)
        + "\",\"versions\":[{\"name\":\"app/training/KEY\",\"version\":1,"
        + "\"stage\":\"current\",\"type\":\"string\",\"length\":"
        + value.length
        + ",\"digest\":\""
        + digest
        + "\",\"patterns\":[{\"field\":null,\"encoding\":\"raw\",\"length\":"
        + value.length
        + ",\"digest\":\""
        + digest
        + "\",\"window\":"
        + LeakDigests.windowWidth(value.length)
        + ",\"windows\":\""
        + b64.encodeToString(digests.windows(value))
        + "\"}]}],\"unreadable\":0}";
  }

  private static Io io(Map<String, String> env) {
    return io(env, "training value\n".getBytes(StandardCharsets.UTF_8), quiet());
  }

  private static PrintStream quiet() {
    return new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
  }

  private static Io io(Map<String, String> env, byte[] stdin, PrintStream out) {
    return new Io(
        new ByteArrayInputStream(stdin),
        out,
        quiet(),
        env,
        Path.of(System.getProperty("java.io.tmpdir")),
        Path.of(System.getProperty("java.io.tmpdir")),
        false);
  }

  private static void answer(ServerSocket listener) {
    while (!listener.isClosed()) {
      try (Socket socket = listener.accept()) {
        InputStream in = socket.getInputStream();
        String head = readHead(in);
        String requestLine = head.substring(0, head.indexOf('\r'));
        String[] parts = requestLine.split(" ");
        String path =
            parts[1].contains("?") ? parts[1].substring(0, parts[1].indexOf('?')) : parts[1];
        int length = contentLength(head);
        in.readNBytes(length);
        String body = ANSWERS.get(parts[0] + " " + path);
        int status = body == null ? 404 : 200;
        if (body == null) {
          body = "{\"error\":{\"code\":\"not_found\",\"message\":\"no secret " + path + "\"}}";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String response =
            "HTTP/1.1 "
                + status
                + (status == 200 ? " OK" : " Not Found")
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + bytes.length
                + "\r\nConnection: close\r\n\r\n";
        OutputStream out = socket.getOutputStream();
        out.write(response.getBytes(StandardCharsets.ISO_8859_1));
        out.write(bytes);
        out.flush();
      } catch (IOException | RuntimeException e) {
        // the listener closed at the end of training, or a request to skip
      }
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed");
      }
      head.write(b);
      matched = (b == '\r' || b == '\n') && (matched % 2 == 0) == (b == '\r') ? matched + 1 : 0;
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        return Integer.parseInt(line.substring(15).trim());
      }
    }
    return 0;
  }
}
