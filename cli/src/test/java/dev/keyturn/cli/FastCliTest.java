package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.StatusResponse;
import dev.keyturn.api.StatusRow;
import dev.keyturn.server.KeyturnServer;
import dev.keyturn.server.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FastCli} against {@link KeyturnCli}: for every command line, the same standard output
 * (bytes), standard error and exit code, against a real server and against a responder that sends
 * odd answers; and the fast path really answers the common cases (it is not declining them).
 */
class FastCliTest {
  @TempDir static Path work;
  private static KeyturnServer server;
  private static String addr;

  @TempDir Path home;

  @BeforeAll
  static void start() {
    Path data = work.resolve("keyturn-data");
    server =
        KeyturnServer.start(
            ServerConfig.local(
                data,
                "127.0.0.1",
                0,
                "jdbc:sqlite:" + data.resolve("keyturn.db"),
                Optional.empty()),
            Clock.systemUTC(),
            new SecureRandom());
    addr = "http://127.0.0.1:" + server.port();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  record Run(int code, String out, String err, byte[] outBytes) {}

  private Run run(boolean fast, byte[] stdin, Map<String, String> extraEnv, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> env = new HashMap<>(Map.of("KEYTURN_ADDR", addr));
    env.putAll(extraEnv);
    env.values().removeIf(String::isEmpty);
    Io io =
        new Io(
            new ByteArrayInputStream(stdin),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            env,
            home,
            work,
            false);
    int code = fast ? FastCli.run(io, args) : KeyturnCli.run(io, args);
    return new Run(
        code,
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8),
        out.toByteArray());
  }

  /** Runs both paths; asserts the fast one answered and that both print and exit alike. */
  private Run same(Map<String, String> env, String... args) {
    Run fast = run(true, new byte[0], env, args);
    Run full = run(false, new byte[0], env, args);
    assertThat(fast.code()).as("fast path declined " + String.join(" ", args)).isNotEqualTo(-1);
    assertThat(fast.outBytes()).as("stdout").isEqualTo(full.outBytes());
    assertThat(fast.err()).as("stderr").isEqualTo(full.err());
    assertThat(fast.code()).as("exit code").isEqualTo(full.code());
    return fast;
  }

  private Run same(String... args) {
    return same(Map.of(), args);
  }

  /** Asserts the fast path leaves {@code args} to picocli, having printed and read nothing. */
  private void declined(Map<String, String> env, String... args) {
    Run fast = run(true, "unread".getBytes(StandardCharsets.UTF_8), env, args);
    assertThat(fast.code()).as(String.join(" ", args)).isEqualTo(FastCli.DECLINED);
    assertThat(fast.out()).isEmpty();
    assertThat(fast.err()).isEmpty();
  }

  @Test
  void help_andVersion_areThePicocliText() {
    assertThat(same("--help").out()).startsWith("Usage: keyturn");
    same("-h");
    same("help");
    same();
    assertThat(same("--version").out()).startsWith("keyturn ");
    same("-V");
  }

  @Test
  void get_success_inEveryFormItAnswers() {
    run(false, new byte[0], Map.of(), "put", "fast/get/A", "--value", "first");
    run(false, new byte[0], Map.of(), "put", "fast/get/A", "--value", "sécond \"q\"");
    run(
        false,
        new byte[0],
        Map.of(),
        "put",
        "fast/get/J",
        "--value-json",
        "{\"b\":1.50,\"a\":[1e400]}");

    assertThat(same("get", "fast/get/A").out()).isEqualTo("sécond \"q\"\n");
    same("get", "fast/get/A", "--raw");
    assertThat(same("get", "--version", "1", "fast/get/A").out()).isEqualTo("first\n");
    same("get", "fast/get/A", "--version=01");
    same("get", "fast/get/A", "--stage", "current");
    same("get", "fast/get/A", "--stage=previous"); // none: the replaced version was retired (404)
    same("--addr", addr, "get", "fast/get/A");
    same("get", "fast/get/A", "--addr=" + addr + "/", "--insecure-http");
    assertThat(same("get", "fast/get/J").out()).contains("1.50");
  }

  @Test
  void get_errors_401_403_404_badName_serverDown() {
    run(false, new byte[0], Map.of(), "put", "fast/err/A", "--value", "x");
    String token =
        run(false, new byte[0], Map.of(), "token", "create", "--allow", "read:fast/other/*")
            .out()
            .strip();

    assertThat(same(Map.of("KEYTURN_TOKEN", "kt_not_a_real_token"), "get", "fast/err/A").code())
        .isEqualTo(ExitCode.REFUSED);
    assertThat(same(Map.of("KEYTURN_TOKEN", token), "get", "fast/err/A").code())
        .isEqualTo(ExitCode.REFUSED);
    assertThat(same("get", "fast/err/NONE").code()).isEqualTo(ExitCode.NOT_FOUND);
    assertThat(same("get", "fast/err/NONE", "--version", "7").code()).isEqualTo(ExitCode.NOT_FOUND);
    assertThat(same("get", "bad..name!").code()).isEqualTo(ExitCode.ERROR);
    Run down = same(Map.of("KEYTURN_ADDR", "http://127.0.0.1:1"), "get", "fast/err/A");
    assertThat(down.err()).startsWith("keyturn: cannot connect to Keyturn at http://127.0.0.1:1");
    assertThat(down.code()).isEqualTo(ExitCode.ERROR);
  }

  @Test
  void put_stdin_storesWhatGetReads_andFailsAlike() {
    Run fast =
        run(
            true,
            "v1\n".getBytes(StandardCharsets.UTF_8),
            Map.of(),
            "put",
            "fast/put/A",
            "--stdin");
    Run full =
        run(
            false,
            "v2\n".getBytes(StandardCharsets.UTF_8),
            Map.of(),
            "put",
            "fast/put/A",
            "--stdin");
    assertThat(fast.out()).isEqualTo("fast/put/A: version 1 is current\n");
    assertThat(full.out()).isEqualTo("fast/put/A: version 2 is current\n");
    assertThat(fast.code()).isZero();

    Run pending =
        run(
            true,
            "v3\r\n".getBytes(StandardCharsets.UTF_8),
            Map.of(),
            "put",
            "fast/put/A",
            "--stdin",
            "--pending",
            "--grace",
            "1h",
            "--keep-newline");
    assertThat(pending.out()).isEqualTo("fast/put/A: version 3 is pending\n");
    assertThat(
            run(false, new byte[0], Map.of(), "get", "fast/put/A", "--stage", "pending", "--raw")
                .out())
        .isEqualTo("v3\r\n");
    assertThat(run(false, new byte[0], Map.of(), "get", "fast/put/A", "--version", "1").out())
        .isEqualTo("v1\n");

    byte[] notUtf8 = {(byte) 0xff, (byte) 0xfe};
    Run badFast = run(true, notUtf8, Map.of(), "put", "fast/put/B", "--stdin");
    Run badFull = run(false, notUtf8, Map.of(), "put", "fast/put/B", "--stdin");
    assertThat(badFast.code()).isEqualTo(badFull.code()).isEqualTo(ExitCode.ERROR);
    assertThat(badFast.err()).isEqualTo(badFull.err()).contains("not UTF-8");
    Run badName =
        run(true, "x".getBytes(StandardCharsets.UTF_8), Map.of(), "put", "b a d", "--stdin");
    Run badNameFull =
        run(false, "x".getBytes(StandardCharsets.UTF_8), Map.of(), "put", "b a d", "--stdin");
    assertThat(badName.err())
        .isEqualTo(badNameFull.err())
        .startsWith("keyturn: invalid secret name");
    assertThat(badName.code()).isEqualTo(badNameFull.code());
    Run refused =
        run(
            true,
            "x".getBytes(StandardCharsets.UTF_8),
            Map.of("KEYTURN_TOKEN", "kt_nope"),
            "put",
            "fast/put/C",
            "--stdin");
    assertThat(refused.code()).isEqualTo(ExitCode.REFUSED);
  }

  @Test
  void ls_andStatus() {
    run(false, new byte[0], Map.of(), "put", "fast/ls/A", "--value", "x");
    run(false, new byte[0], Map.of(), "put", "fast/ls/B", "--generate", "hex:8");

    assertThat(same("ls", "fast/ls/").out()).contains("fast/ls/A").contains("fast/ls/B");
    same("ls");
    assertThat(same("ls", "fast/nothing/").err()).isEqualTo("no secrets under 'fast/nothing/'\n");
    assertThat(same("status").out()).startsWith("NAME");
    same("status", "fast/ls/");
    same(Map.of("KEYTURN_TOKEN", "kt_nope"), "ls");
    same(Map.of("KEYTURN_ADDR", "http://127.0.0.1:1"), "status");
  }

  @Test
  void status_readsTheServersBoardWithoutJackson() throws IOException {
    run(false, new byte[0], Map.of(), "put", "fast/board/A", "--value", "x");
    run(false, new byte[0], Map.of(), "rotation", "set", "fast/board/A", "--generate", "hex:8");
    String token = Files.readString(work.resolve("keyturn-data/root.token")).strip();
    byte[] body =
        new PlainHttp(URI.create(addr), token, null).send("GET", "/v1/status", null).body();
    // What the server sends today (type, version numbers, "backups": null) takes the fast path;
    // when it did not, every status paid for Jackson's start (151 ms against 84 for ls).
    StatusResponse plain = Commands.plainStatus(body);
    assertThat(plain).isNotNull().isEqualTo(Commands.jackson(body, StatusResponse.class));
    assertThat(plain.secrets()).extracting(StatusRow::name).contains("fast/board/A");
    assertThat(plain.secrets())
        .filteredOn(r -> r.name().equals("fast/board/A"))
        .singleElement()
        .satisfies(r -> assertThat(r.type()).isEqualTo("string"))
        .satisfies(r -> assertThat(r.currentVersion()).isEqualTo(1));
    // Rows it does not read alone go to Jackson whole: consumers waited for, a page.
    assertThat(
            Commands.plainStatus(
                ("{\"secrets\":[{\"name\":\"s\",\"owner\":\"\",\"strategy\":null,"
                        + "\"last_rotated\":null,\"next_due\":null,\"grace_until\":null,"
                        + "\"state\":\"waiting\",\"rotation_id\":null,\"waiting_for\":[\"c1\"]}],"
                        + "\"backups\":null}")
                    .getBytes(StandardCharsets.UTF_8)))
        .isNull();
    assertThat(
            Commands.plainStatus(
                "{\"secrets\":[],\"backups\":null,\"total\":0}".getBytes(StandardCharsets.UTF_8)))
        .isNull();
    assertThat(
            Commands.plainStatus(
                ("{\"secrets\":[{\"name\":\"s\",\"owner\":\"\",\"strategy\":null,"
                        + "\"last_rotated\":null,\"next_due\":null,\"grace_until\":null,"
                        + "\"state\":\"ok\",\"rotation_id\":null,\"current_version\":\"1\"}],"
                        + "\"backups\":null}")
                    .getBytes(StandardCharsets.UTF_8)))
        .isNull();
  }

  @Test
  void declines_badUsage_rareForms_andWhatPicocliRefuses() {
    Map<String, String> none = Map.of();
    declined(none, "get");
    declined(none, "get", "a", "b");
    declined(none, "get", "a", "--bogus");
    declined(none, "get", "a", "--raw", "--raw");
    declined(none, "get", "a", "--version", "1", "--stage", "current");
    declined(none, "get", "a", "--stage", "retired");
    declined(none, "get", "a", "--version", "x");
    declined(none, "get", "a", "--json");
    declined(none, "get", "a", "--format", "url");
    declined(none, "get", "@args");
    declined(none, "get", "--help");
    declined(none, "put", "a");
    declined(none, "put", "a", "--stdin", "--type", "json");
    declined(none, "put", "a", "--value", "x");
    declined(none, "ls", "a", "b");
    declined(none, "status", "--json");
    declined(none, "rotate", "a");
    declined(none, "--addr");
    // what KeyturnCli refuses or handles with other machinery
    declined(Map.of("KEYTURN_ADDR", "http://example.com:8270"), "get", "a");
    declined(Map.of("KEYTURN_ADDR", "http://user@127.0.0.1:8270"), "get", "a");
    declined(Map.of("KEYTURN_CACERT", "/nonexistent.pem"), "get", "a");
    declined(Map.of("KEYTURN_CACERT_FILE", "/nonexistent"), "get", "a");
    declined(Map.of("KEYTURN_TOKEN_FILE", "/nonexistent"), "get", "a");
    declined(Map.of("KEYTURN_TOKEN", "with space"), "get", "a");
    declined(Map.of("KEYTURN_DATA", "/nonexistent"), "get", "a");
  }

  @Test
  void declined_commandLines_endTheSameThroughDispatch() {
    for (String[] args :
        new String[][] {
          {"get"}, {"get", "a", "--stage", "retired"}, {"put", "a"}, {"ls", "--bogus"},
        }) {
      Run full = run(false, new byte[0], Map.of(), args);
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Io io =
          new Io(
              new ByteArrayInputStream(new byte[0]),
              new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8),
              Map.of("KEYTURN_ADDR", addr),
              home,
              work,
              false);
      assertThat(FastCli.dispatch(io, args)).isEqualTo(full.code()).isEqualTo(ExitCode.USAGE);
      assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(full.err());
    }
    Map<String, String> remote = Map.of("KEYTURN_ADDR", "http://example.com:8270");
    Run full = run(false, new byte[0], remote, "get", "a");
    assertThat(full.err()).contains("refusing to send the token");
    assertThat(full.code()).isEqualTo(ExitCode.ERROR);
  }

  @Test
  void https_checksTheCertificateAndTheHostName_asTheFullClientDoes() throws Exception {
    Path dir = work.resolve("tls");
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    Files.createDirectories(dir);
    Process openssl =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString(),
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost")
            .redirectErrorStream(true)
            .start();
    openssl.getInputStream().readAllBytes();
    assertThat(openssl.waitFor()).isZero();
    Path data = dir.resolve("data");
    ServerConfig config =
        ServerConfig.local(
                data, "127.0.0.1", 0, "jdbc:sqlite:" + data.resolve("keyturn.db"), Optional.empty())
            .toBuilder()
            .tls(new ServerConfig.Tls(cert, key))
            .build();
    try (KeyturnServer tls = KeyturnServer.start(config, Clock.systemUTC(), new SecureRandom())) {
      Map<String, String> env = new HashMap<>();
      env.put("KEYTURN_TOKEN_FILE", data.resolve("root.token").toString());
      env.put("KEYTURN_ADDR", "https://localhost:" + tls.port());
      env.put("KEYTURN_CACERT", cert.toString());
      run(false, "over tls\n".getBytes(StandardCharsets.UTF_8), env, "put", "tls/A", "--stdin");

      assertThat(same(env, "get", "tls/A").out()).isEqualTo("over tls\n");
      assertThat(same(env, "ls").out()).contains("tls/A");

      env.put("KEYTURN_ADDR", "https://127.0.0.1:" + tls.port());
      Run wrongName = same(env, "get", "tls/A");
      assertThat(wrongName.code()).isEqualTo(ExitCode.ERROR);
      assertThat(wrongName.err()).startsWith("keyturn: TLS with Keyturn at https://127.0.0.1:");

      env.put("KEYTURN_ADDR", "https://localhost:" + tls.port());
      env.remove("KEYTURN_CACERT");
      Run untrusted = same(env, "get", "tls/A");
      assertThat(untrusted.code()).isEqualTo(ExitCode.ERROR);
      assertThat(untrusted.err()).contains("for a private CA set KEYTURN_CACERT");
    }
  }

  @Test
  void oddAnswers_failAsTheClientDoes() throws IOException {
    String big = "x".repeat(1000);
    Map<String, String> answers =
        Map.of(
            "/v1/secrets/odd/CHUNKED",
            "200|chunked|{\"name\":\"odd/CHUNKED\",\"version\":1,\"stage\":\"current\",\"value\":\""
                + big
                + "\",\"created_at\":null}",
            "/v1/secrets/odd/EXTRA",
            "200||{\"name\":\"odd/EXTRA\",\"version\":1,\"stage\":\"current\",\"value\":\"v\","
                + "\"created_at\":null,\"surprise\":true}",
            "/v1/secrets/odd/PROXY",
            "502||<html>Bad Gateway</html>",
            "/v1/secrets/odd/CONFLICT",
            "409||{\"error\":{\"code\":\"rotation_in_progress\",\"message\":\"busy\","
                + "\"rotation_id\":\"rot_1\"}}",
            "/v1/secrets/odd/EMPTY",
            "200||",
            "/v1/status",
            "200||{\"secrets\":[{\"name\":\"s\",\"owner\":null,\"strategy\":null,"
                + "\"last_rotated\":null,\"next_due\":null,\"grace_until\":null,\"state\":\"ok\","
                + "\"rotation_id\":null}]}");
    try (ServerSocket listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      Thread responder = new Thread(() -> respond(listener, answers));
      responder.setDaemon(true);
      responder.start();
      Map<String, String> env =
          Map.of(
              "KEYTURN_ADDR",
              "http://127.0.0.1:" + listener.getLocalPort(),
              "KEYTURN_TOKEN",
              "kt_test");
      assertThat(same(env, "get", "odd/CHUNKED").out()).isEqualTo(big + "\n");
      assertThat(same(env, "get", "odd/EXTRA").err()).contains("not what this client expects");
      assertThat(same(env, "get", "odd/PROXY").err()).isEqualTo("keyturn: HTTP 502\n");
      assertThat(same(env, "get", "odd/CONFLICT").err()).isEqualTo("keyturn: busy\n");
      assertThat(same(env, "get", "odd/EMPTY").code()).isEqualTo(ExitCode.ERROR);
      assertThat(same(env, "status").err()).contains("internal error");
    }
  }

  @Test
  void anAnswerAboveTheLimit_isRefused() throws IOException {
    try (ServerSocket listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      Thread responder =
          new Thread(() -> {
            try (Socket socket = listener.accept()) {
              readHead(socket.getInputStream());
              OutputStream out = socket.getOutputStream();
              out.write(
                  ("HTTP/1.1 200 OK\r\nContent-Length: " + (PlainHttp.MAX_BODY + 1) + "\r\n\r\n")
                      .getBytes(StandardCharsets.ISO_8859_1));
              out.write(new byte[64 * 1024]);
            } catch (IOException e) {
              // the client hung up, as it should
            }
          });
      responder.setDaemon(true);
      responder.start();
      Run r =
          run(
              true,
              new byte[0],
              Map.of(
                  "KEYTURN_ADDR",
                  "http://127.0.0.1:" + listener.getLocalPort(),
                  "KEYTURN_TOKEN",
                  "kt_test"),
              "get",
              "odd/BIG");
      assertThat(r.code()).isEqualTo(ExitCode.ERROR);
      assertThat(r.err()).contains("larger than 16 MiB");
    }
  }

  @Test
  void scan_aFingerprintAnswerAbove16MiB_isReadAsThePicocliCommandReadsIt() throws IOException {
    // The server answers a scan with up to 30,000 versions and 64 MiB of digests; the JDK client
    // reads any of them, so the fast path must too (it once refused all above 16 MiB, exit 1).
    byte[] answer = bigFingerprintAnswer(PlainHttp.MAX_BODY + (1 << 20));
    Path folder = Files.createDirectories(work.resolve("scan-big"));
    Files.writeString(folder.resolve("a.txt"), "nothing managed here\n");
    try (ServerSocket listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      Thread responder = new Thread(() -> respondWith(listener, answer));
      responder.setDaemon(true);
      responder.start();
      Map<String, String> env =
          Map.of(
              "KEYTURN_ADDR",
              "http://127.0.0.1:" + listener.getLocalPort(),
              "KEYTURN_TOKEN",
              "kt_test");

      Run r = same(env, "scan", "--no-patterns", "--threads", "1", "scan-big");

      assertThat(r.code()).isEqualTo(ExitCode.OK);
      assertThat(r.err()).doesNotContain("larger than");
    }
  }

  @Test
  void anAnnouncedLengthAboveTheLimit_isRefusedBeforeABufferOfThatSizeIsMade() throws IOException {
    try (ServerSocket listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      Thread responder =
          new Thread(() -> {
            try (Socket socket = listener.accept()) {
              readHead(socket.getInputStream());
              socket
                  .getOutputStream()
                  .write(
                      "HTTP/1.1 200 OK\r\nContent-Length: 900000000\r\n\r\n{}"
                          .getBytes(StandardCharsets.ISO_8859_1));
              socket.getInputStream().read(); // until the client hangs up
            } catch (IOException e) {
              // the client hung up, as it should
            }
          });
      responder.setDaemon(true);
      responder.start();
      PlainHttp http =
          new PlainHttp(URI.create("http://127.0.0.1:" + listener.getLocalPort()), "kt_t", null);
      com.sun.management.ThreadMXBean threads =
          (com.sun.management.ThreadMXBean)
              java.lang.management.ManagementFactory.getThreadMXBean();
      long before = threads.getCurrentThreadAllocatedBytes();

      Throwable refused =
          org.assertj.core.api.Assertions.catchThrowable(
              () -> http.send("GET", "/v1/secrets/odd/HUGE", null));

      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      assertThat(refused).hasMessageContaining("larger than 16 MiB");
      assertThat(allocated).isLessThan(PlainHttp.MAX_BODY);
    }
  }

  /** A well-formed fingerprint answer of at least {@code bytes} bytes that matches nothing. */
  private static byte[] bigFingerprintAnswer(int bytes) {
    SecureRandom random = new SecureRandom();
    java.util.Base64.Encoder base64 = java.util.Base64.getEncoder();
    byte[] key = new byte[32];
    random.nextBytes(key);
    StringBuilder json = new StringBuilder(bytes + (1 << 20));
    json.append("{\"prefix\":\"\",\"key\":\"").append(base64.encodeToString(key));
    json.append("\",\"versions\":[");
    byte[] digest = new byte[32];
    for (int i = 0; json.length() < bytes; i++) {
      json.append(i == 0 ? "" : ",");
      json.append("{\"name\":\"big/app-").append(i).append("/API_KEY\",\"version\":1,");
      json.append("\"stage\":\"current\",\"type\":\"string\",\"length\":64,\"digest\":\"");
      random.nextBytes(digest);
      json.append(base64.encodeToString(digest)).append("\",\"patterns\":[");
      String[] encodings = {"raw", "base64", "base64+1", "base64+2", "url"};
      for (int e = 0; e < encodings.length; e++) {
        random.nextBytes(digest);
        json.append(e == 0 ? "" : ",").append("{\"field\":null,\"encoding\":\"");
        json.append(encodings[e]).append("\",\"length\":64,\"digest\":\"");
        json.append(base64.encodeToString(digest)).append("\",\"window\":8,\"windows\":\"");
        json.append(base64.encodeToString(digest)).append("\"}");
      }
      json.append("],\"accept_until\":null}");
    }
    json.append("],\"unreadable\":0}");
    return json.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Answers every request, whatever it asks, with {@code body}, having read the request whole. */
  private static void respondWith(ServerSocket listener, byte[] body) {
    while (!listener.isClosed()) {
      try (Socket socket = listener.accept()) {
        InputStream in = socket.getInputStream();
        String head = readHead(in);
        java.util.regex.Matcher length =
            java.util.regex.Pattern.compile("(?i)content-length: *([0-9]+)").matcher(head);
        in.readNBytes(length.find() ? Integer.parseInt(length.group(1)) : 0);
        OutputStream out = socket.getOutputStream();
        out.write(
            ("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                    + "Content-Length: "
                    + body.length
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
      } catch (IOException e) {
        // closed at the end of the test
      }
    }
  }

  private static void respond(ServerSocket listener, Map<String, String> answers) {
    while (!listener.isClosed()) {
      try (Socket socket = listener.accept()) {
        String head = readHead(socket.getInputStream());
        String target = head.split(" ")[1];
        String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
        String[] answer = answers.getOrDefault(path, "404||").split("\\|", 3);
        byte[] body = answer[2].getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        String status = "HTTP/1.1 " + answer[0] + " X\r\nConnection: close\r\n";
        if (answer[1].equals("chunked")) {
          out.write(
              (status + "Transfer-Encoding: chunked\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
          int half = body.length / 2;
          out.write((Integer.toHexString(half) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          out.write(body, 0, half);
          out.write(
              ("\r\n" + Integer.toHexString(body.length - half) + ";ext=1\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
          out.write(body, half, body.length - half);
          out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        } else {
          out.write(
              (status + "Content-Length: " + body.length + "\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
          out.write(body);
        }
        out.flush();
      } catch (IOException e) {
        // closed at the end of the test
      }
    }
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed");
      }
      head.append((char) b);
    }
    return head.toString();
  }
}
