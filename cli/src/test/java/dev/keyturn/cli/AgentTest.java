package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.keyturn.api.AuditRecordInfo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyturn agent} as its own process against a real server: exactly one reload after a
 * SIGKILL and a rotation meanwhile, the local cache when the server is down, agents sharing a
 * secret reloading at different moments, a failing check restored while a real HTTP app keeps
 * answering, and no canary in the cache file, the log or the audit (issue 18).
 */
class AgentTest {
  @TempDir static Path work;
  static DeliveryFixture fx;
  static final String CANARY = "canary-a7 'q' $x";
  static final Duration PATIENCE = Duration.ofSeconds(180);

  /** An HTTP app: /health answers 200 unless its env file says APP_MODE="broken"; HUP re-reads. */
  static final String APP =
      "import http.server, os, signal, sys\n"
          + "env = sys.argv[1]\n"
          + "mode = ['']\n"
          + "def load(*_):\n"
          + "    text = open(env).read() if os.path.exists(env) else ''\n"
          + "    mode[0] = 'broken' if 'APP_MODE=\"broken\"' in text else 'ok'\n"
          + "load()\n"
          + "signal.signal(signal.SIGHUP, load)\n"
          + "class H(http.server.BaseHTTPRequestHandler):\n"
          + "    def do_GET(self):\n"
          + "        code = 500 if self.path == '/health' and mode[0] == 'broken' else 200\n"
          + "        self.send_response(code); self.end_headers(); self.wfile.write(b'x')\n"
          + "    def log_message(self, *a): pass\n"
          + "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
          + "open(sys.argv[2] + '.tmp', 'w').write(str(s.server_address[1]))\n"
          + "os.rename(sys.argv[2] + '.tmp', sys.argv[2])\n"
          + "s.serve_forever()\n";

  final List<Process> started = new ArrayList<>();
  final AtomicInteger counter = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    fx = new DeliveryFixture(work);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @AfterEach
  void end() {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  /** A config with one dotenv output of {@code path} in {@code dir}, reload and check as given. */
  private static Path config(Path dir, String path, String reload, String splay, String check)
      throws Exception {
    Files.createDirectories(dir);
    String yaml =
        "state: "
            + dir.resolve("state")
            + "\n"
            + "outputs:\n"
            + "  - path: app.env\n"
            + "    format: dotenv\n"
            + "    mode: \"0640\"\n"
            + "    mapping:\n"
            + "      paths: ["
            + path
            + "]\n"
            + "    reload:\n"
            + "      command: "
            + reload
            + "\n"
            + "      splay: "
            + splay
            + "\n"
            + "      timeout: 10s\n"
            + check;
    Path file = dir.resolve("agent.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  /** A reload command that appends the time to {@code log}; no shell, no value on its line. */
  private static String appendTime(Path log) {
    return "[python3, -c, \"import sys, time; open(sys.argv[1], 'a').write(repr(time.time())"
        + " + chr(10))\", "
        + log
        + "]";
  }

  private Process agent(Path config, Path err, String token) throws Exception {
    Process p =
        fx.start(
            Map.of("KEYTURN_TOKEN", token),
            err.resolveSibling(err.getFileName() + ".out"),
            err,
            "agent",
            "--config",
            config.toString());
    started.add(p);
    return p;
  }

  private static void awaitText(Path file, String text, int times) {
    await(file.getFileName() + " says " + text + " x" + times)
        .atMost(PATIENCE)
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> assertThat(count(read(file), text)).as(read(file)).isGreaterThanOrEqualTo(times));
  }

  private static int count(String text, String what) {
    return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static List<String> lines(Path file) throws Exception {
    return Files.exists(file) ? Files.readAllLines(file) : List.of();
  }

  @Test
  void sigkill_rotationMeanwhile_exactlyOneReloadAfterRestart_cacheWhenServerDown_noCanary()
      throws Exception {
    fx.put("app/ag1/API_KEY", CANARY + "1");
    String token = fx.token("read:app/ag1/*");
    Path dir = work.resolve("ag1");
    Path reloads = dir.resolve("reloads.log");
    Path config = config(dir, "app/ag1", appendTime(reloads), "0s", "");
    Path err1 = dir.resolve("run1.err");

    Process first = agent(config, err1, token);
    awaitText(err1, "app.env: applied", 1);
    first.destroyForcibly(); // SIGKILL
    first.waitFor(30, TimeUnit.SECONDS);
    fx.put("app/ag1/API_KEY", CANARY + "2");
    Path err2 = dir.resolve("run2.err");
    Process second = agent(config, err2, token);
    awaitText(err2, "app.env: applied", 1);
    Thread.sleep(3_000); // time for a second, wrong reload to show
    second.destroyForcibly();
    second.waitFor(30, TimeUnit.SECONDS);

    assertThat(lines(reloads)).hasSize(2);
    assertThat(Files.readString(dir.resolve("app.env"))).contains("canary-a7").contains("2\"");
    assertThat(Files.getPosixFilePermissions(dir.resolve("app.env")))
        .isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
    Path cache = dir.resolve("state").resolve("agent.cache");
    assertThat(Files.getPosixFilePermissions(cache))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));

    // The server down at start: the output comes from the cache, with no reload (already applied).
    Files.delete(dir.resolve("app.env"));
    int port = fx.server.port();
    fx.server.close();
    Path err3 = dir.resolve("run3.err");
    try {
      agent(config, err3, token);
      awaitText(err3, "using the local cache", 1);
      await().atMost(PATIENCE).until(() -> Files.exists(dir.resolve("app.env")));
    } finally {
      fx.server = fx.serve(port);
    }
    assertThat(Files.readString(dir.resolve("app.env"))).contains("canary-a7").contains("2\"");
    assertThat(lines(reloads)).hasSize(2);

    String logs = read(err1) + read(err2) + read(err3);
    assertThat(logs).doesNotContain("canary-a7").doesNotContain(token);
    assertThat(new String(Files.readAllBytes(cache), StandardCharsets.ISO_8859_1))
        .doesNotContain("canary-a7")
        .doesNotContain("API_KEY");
    List<AuditRecordInfo> audit =
        fx.admin
            .audit(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(10_000))
            .records();
    assertThat(audit.toString()).doesNotContain("canary-a7");
    assertThat(decryptWithPython(cache, token)).contains(CANARY + "2");
  }

  /** The cache file opened by Python's cryptography (HKDF-SHA256, AES-256-GCM), as documented. */
  private static String decryptWithPython(Path cache, String token) throws Exception {
    String script =
        "import sys\n"
            + "from cryptography.hazmat.primitives import hashes\n"
            + "from cryptography.hazmat.primitives.kdf.hkdf import HKDF\n"
            + "from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n"
            + "key = HKDF(hashes.SHA256(), 32, b'keyturn-agent-cache',"
            + " b'keyturn agent cache v1').derive(sys.argv[2].encode())\n"
            + "data = open(sys.argv[1], 'rb').read()\n"
            + "assert data[:5] == b'KTAC\\x01'\n"
            + "sys.stdout.write(AESGCM(key).decrypt(data[5:17], data[17:], data[:5]).decode())\n";
    Process p =
        new ProcessBuilder("python3", "-c", script, cache.toString(), token)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    return out;
  }

  @Test
  void threeAgentsWithASplay_reloadAtThreeDifferentMoments() throws Exception {
    fx.put("app/ag2/SHARED", "s1");
    List<Path> logs = new ArrayList<>();
    List<Path> errs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Path dir = work.resolve("ag2-" + i);
      Path log = dir.resolve("reloads.log");
      Path err = dir.resolve("agent.err");
      agent(config(dir, "app/ag2", appendTime(log), "4s", ""), err, fx.token("read:app/ag2/*"));
      logs.add(log);
      errs.add(err);
    }
    for (Path err : errs) {
      awaitText(err, "app.env: applied", 1);
    }

    fx.put("app/ag2/SHARED", "s2");
    for (Path err : errs) {
      awaitText(err, "app.env: applied", 2);
    }

    List<Double> moments = new ArrayList<>();
    for (Path log : logs) {
      List<String> lines = lines(log);
      assertThat(lines).hasSize(2);
      moments.add(Double.parseDouble(lines.get(1)));
    }
    assertThat(new HashSet<>(moments.stream().map(m -> Math.round(m * 1000)).toList())).hasSize(3);
    List<String> delays = new ArrayList<>();
    for (Path err : errs) {
      List<String> said = read(err).lines().filter(l -> l.contains("reloading in")).toList();
      delays.add(said.get(said.size() - 1).replaceAll(".*reloading in ", ""));
    }
    assertThat(new HashSet<>(delays)).hasSize(3);
    await("the three agents are consumers holding #2")
        .atMost(PATIENCE)
        .untilAsserted(() -> {
          DeliveryFixture.Run listed =
              fx.inProcess(
                  Map.of("KEYTURN_TOKEN", fx.rootToken), "consumers", "app/ag2/SHARED", "--json");
          assertThat(listed.code()).as(listed.err()).isZero();
          tools.jackson.databind.JsonNode consumers =
              tools.jackson.databind.json.JsonMapper.builder()
                  .build()
                  .readTree(listed.out())
                  .get("consumers");
          assertThat(consumers).hasSize(3);
          for (tools.jackson.databind.JsonNode c : consumers) {
            assertThat(c.get("kind").stringValue()).isEqualTo("agent");
            assertThat(c.get("id").stringValue()).startsWith("agent.");
            assertThat(c.get("secrets").get(0).get("using").intValue()).isEqualTo(2);
          }
        });
  }

  @Test
  void failingCheck_restoresTheFileReloadsAgain_andTheAppKeepsAnswering() throws Exception {
    fx.put("app/ag3/APP_MODE", "fine");
    Path dir = work.resolve("ag3");
    Files.createDirectories(dir);
    Files.writeString(work.resolve("app.py"), APP);
    Path portFile = dir.resolve("port");
    Process app =
        new ProcessBuilder(
                "python3",
                work.resolve("app.py").toString(),
                dir.resolve("app.env").toString(),
                portFile.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("app.log").toFile())
            .start();
    started.add(app);
    await().atMost(PATIENCE).until(() -> Files.exists(portFile));
    String base = "http://127.0.0.1:" + Files.readString(portFile).strip();
    Path config =
        config(
            dir,
            "app/ag3",
            "[kill, -HUP, \"" + app.pid() + "\"]",
            "0s",
            "    check:\n      http: " + base + "/health\n      timeout: 3s\n");
    Path err = dir.resolve("agent.err");
    agent(config, err, fx.token("read:app/ag3/*"));
    awaitText(err, "app.env: applied", 1);
    String good = Files.readString(dir.resolve("app.env"));

    fx.put("app/ag3/APP_MODE", "broken");
    HttpClient http = HttpClient.newHttpClient();
    int answered = 0;
    long end = System.nanoTime() + PATIENCE.toNanos();
    while (count(read(err), "CHECK FAILED") == 0 && System.nanoTime() < end) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      answered++;
      Thread.sleep(50);
    }
    awaitText(err, "CHECK FAILED", 1);
    Thread.sleep(500); // the second reload's HUP has been handled

    assertThat(answered).isPositive();
    assertThat(Files.readString(dir.resolve("app.env"))).isEqualTo(good);
    assertThat(
            http.send(
                    HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(200);
    assertThat(app.isAlive()).isTrue();
    assertThat(read(err)).contains("answered 500");

    // The server hears of it: the status board (API and CLI) names the agent and the version.
    await("the board shows the version the agent could not apply")
        .atMost(PATIENCE)
        .until(() -> !failures("app/ag3/APP_MODE").isEmpty());
    dev.keyturn.api.ConsumerFailure failure = failures("app/ag3/APP_MODE").get(0);
    assertThat(failure.consumer()).startsWith("agent.");
    assertThat(failure.failed()).isEqualTo(2);
    assertThat(failure.using()).isEqualTo(1);
    DeliveryFixture.Run status =
        fx.inProcess(Map.of("KEYTURN_TOKEN", fx.rootToken), "status", "app/ag3");
    assertThat(status.code()).as(status.err()).isZero();
    assertThat(status.err())
        .contains(
            "consumer "
                + failure.consumer()
                + " could not apply app/ag3/APP_MODE#2 and still uses #1");
    assertThat(status.out() + status.err()).doesNotContain("broken");

    fx.put("app/ag3/APP_MODE", "fine-again");
    awaitText(err, "app.env: applied", 2);
    await("a version the agent applied clears the failure")
        .atMost(PATIENCE)
        .until(() -> failures("app/ag3/APP_MODE").isEmpty());
  }

  private static List<dev.keyturn.api.ConsumerFailure> failures(String name) {
    return fx.admin.status(name).secrets().stream()
        .filter(r -> r.name().equals(name))
        .flatMap(r ->
            r.failedConsumers() == null
                ? java.util.stream.Stream.empty()
                : r.failedConsumers().stream())
        .toList();
  }

  @Test
  void badConfig_stopsAtStartNamingFileLineAndKey() throws Exception {
    Path dir = work.resolve("ag4");
    Files.createDirectories(dir);
    Path file = dir.resolve("agent.yaml");
    Files.writeString(
        file,
        "state: st\n"
            + "outputs:\n"
            + "  - path: app.env\n"
            + "    mapping: {paths: [app/ag4]}\n"
            + "    format: dotenvv\n");
    Path shell = dir.resolve("shell.yaml");
    Files.writeString(
        shell,
        "outputs:\n"
            + "  - path: app.env\n"
            + "    format: dotenv\n"
            + "    mapping: {paths: [app/ag4]}\n"
            + "    reload:\n"
            + "      command: systemctl reload app\n");
    Path unknown = dir.resolve("unknown.yaml");
    Files.writeString(
        unknown,
        "outputs:\n"
            + "  - path: app.env\n"
            + "    format: dotenv\n"
            + "    mapping: {paths: [app/ag4]}\n"
            + "    mod: \"0600\"\n");

    DeliveryFixture.Run bad =
        fx.inProcess(Map.of("KEYTURN_TOKEN", "x"), "agent", "--config", file.toString());
    DeliveryFixture.Run notAList =
        fx.inProcess(Map.of("KEYTURN_TOKEN", "x"), "agent", "--config", shell.toString());
    DeliveryFixture.Run misspelt =
        fx.inProcess(Map.of("KEYTURN_TOKEN", "x"), "agent", "--config", unknown.toString());

    assertThat(bad.code()).isEqualTo(ExitCode.USAGE);
    assertThat(bad.err())
        .startsWith("keyturn: " + file + ":5: outputs[0].format: 'dotenvv' is not one of");
    assertThat(notAList.code()).isEqualTo(ExitCode.USAGE);
    assertThat(notAList.err())
        .startsWith("keyturn: " + shell + ":6: outputs[0].reload.command: ")
        .contains("without a shell");
    assertThat(misspelt.err())
        .startsWith("keyturn: " + unknown + ":5: outputs[0].mod: unknown key");
    assertThat(Files.exists(dir.resolve("app.env"))).isFalse();
  }
}
