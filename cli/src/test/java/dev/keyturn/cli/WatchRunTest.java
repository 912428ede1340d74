package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.keyturn.server.KeyturnServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code keyturn run --watch} as its own process against a real server, with a child that records
 * each start, the signals it gets, and its environment and files (rewritten on each start and on
 * SIGHUP).
 */
class WatchRunTest {
  @TempDir static Path work;
  static DeliveryFixture fx;

  static final String CANARY = "canary-w9 'q' \"d\" $x #h \\ `b` ąę\nline2\n";
  static final Duration PATIENCE = Duration.ofSeconds(90);

  /** argv: log, state[, stubborn]. TERM ends it with 42 unless stubborn; HUP re-reads its files. */
  static final String CHILD =
      "import json, os, signal, sys, time\n"
          + "log = open(sys.argv[1], 'a', buffering=1)\n"
          + "state = sys.argv[2]\n"
          + "stubborn = len(sys.argv) > 3\n"
          + "def dump():\n"
          + "    files = {k: open(v, encoding='utf-8').read() for k, v in os.environ.items()"
          + " if k.endswith('_FILE') and v.startswith(os.environ['XDG_RUNTIME_DIR'])}\n"
          + "    with open(state + '.tmp', 'w') as f:\n"
          + "        json.dump({'pid': os.getpid(), 'env': dict(os.environ), 'files': files}, f)\n"
          + "    os.replace(state + '.tmp', state)\n"
          + "def hup(n, f):\n"
          + "    dump(); log.write('HUP\\n')\n"
          + "def term(n, f):\n"
          + "    if stubborn:\n"
          + "        log.write('TERM ignored\\n'); return\n"
          + "    log.write('TERM\\n'); sys.exit(42)\n"
          + "signal.signal(signal.SIGHUP, hup)\n"
          + "signal.signal(signal.SIGTERM, term)\n"
          + "dump()\n"
          + "log.write('start\\n')\n"
          + "while True: time.sleep(0.05)\n";

  Process run;
  Path out;
  Path err;

  @BeforeAll
  static void start() throws Exception {
    fx = new DeliveryFixture(work);
    Files.writeString(work.resolve("child.py"), CHILD);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @AfterEach
  void end() {
    if (run != null && run.isAlive()) {
      // SIGKILL cannot be passed on: end CMD first, or it outlives the test run.
      run.descendants().forEach(ProcessHandle::destroyForcibly);
      run.destroyForcibly();
    }
  }

  private Map<String, String> env(String... grants) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("KEYTURN_TOKEN", fx.token(grants));
    Path xdg = work.resolve("xdg-" + System.nanoTime());
    env.put("XDG_RUNTIME_DIR", Files.createDirectory(xdg).toString());
    return env;
  }

  /** Starts {@code keyturn run --watch ARGS -- python3 child.py LOG STATE [stubborn]}. */
  private Process watch(Map<String, String> env, String name, List<String> args, boolean stubborn)
      throws Exception {
    out = work.resolve(name + ".out");
    err = work.resolve(name + ".err");
    List<String> line = new java.util.ArrayList<>(List.of("run", "--watch"));
    line.addAll(args);
    line.addAll(
        List.of(
            "--",
            "python3",
            "child.py",
            work.resolve(name + ".log").toString(),
            work.resolve(name + ".json").toString()));
    if (stubborn) {
      line.add("stubborn");
    }
    run = fx.start(env, out, err, line.toArray(String[]::new));
    awaitLog(name, 1, "start");
    return run;
  }

  private List<String> log(String name) throws Exception {
    Path log = work.resolve(name + ".log");
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  private void awaitLog(String name, int times, String line) {
    await("'" + line + "' x" + times + " in " + name + ".log")
        .atMost(PATIENCE)
        .pollInterval(Duration.ofMillis(50))
        .failFast("keyturn run ended", () -> assertThat(run.isAlive()).as(this::stderr).isTrue())
        .untilAsserted(() -> {
          assertThat(log(name).stream().filter(line::equals).count())
              .as(this::stderr)
              .isEqualTo(times);
        });
  }

  private void awaitStderr(String text) {
    await("stderr says " + text)
        .atMost(PATIENCE)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> stderr().contains(text));
  }

  private String stderr() {
    try {
      return Files.readString(err);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> childEnv(String name) throws Exception {
    Map<String, Object> state =
        JsonMapper.builder()
            .build()
            .readValue(work.resolve(name + ".json").toFile(), new TypeReference<>() {});
    return (Map<String, String>) state.get("env");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> childFiles(String name) throws Exception {
    Map<String, Object> state =
        JsonMapper.builder()
            .build()
            .readValue(work.resolve(name + ".json").toFile(), new TypeReference<>() {});
    return (Map<String, String>) state.get("files");
  }

  private int endRun(String signal) throws Exception {
    assertThat(new ProcessBuilder("kill", "-s", signal, Long.toString(run.pid())).start().waitFor())
        .isZero();
    assertThat(run.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    return run.exitValue();
  }

  private static void assertNoCanary(String text) {
    assertThat(text).doesNotContain("canary-w9");
  }

  /** The live consumers of {@code name} as {@code keyturn consumers NAME --json} prints them. */
  private static tools.jackson.databind.JsonNode consumers(String name) {
    DeliveryFixture.Run listed =
        fx.inProcess(Map.of("KEYTURN_TOKEN", fx.rootToken), "consumers", name, "--json");
    assertThat(listed.code()).as(listed.err()).isZero();
    return JsonMapper.builder().build().readTree(listed.out()).get("consumers");
  }

  @Test
  void watch_registersAsConsumer_movesWithTheRotationAndDepartsWhenItEnds() throws Exception {
    fx.put("app/w9/API_KEY", CANARY + "1");
    watch(
        env("read:app/*"),
        "w9",
        List.of(
            "--splay",
            "0",
            "--keyring",
            "--consumer-id",
            "w9.test",
            "--consumer-ttl",
            "30s",
            "--path",
            "app/w9"),
        false);
    awaitStderr("registered as consumer w9.test holding app/w9/API_KEY#1");

    DeliveryFixture.Run table =
        fx.inProcess(Map.of("KEYTURN_TOKEN", fx.rootToken), "consumers", "app/w9/API_KEY");
    assertThat(table.code()).as(table.err()).isZero();
    assertThat(table.out()).contains("w9.test").contains("run").contains("python3");
    tools.jackson.databind.JsonNode first = consumers("app/w9/API_KEY").get(0);
    assertThat(first.get("id").stringValue()).isEqualTo("w9.test");
    assertThat(first.get("kind").stringValue()).isEqualTo("run");
    assertThat(first.get("ttl_seconds").intValue()).isEqualTo(30);
    assertThat(first.get("secrets").get(0).get("using").intValue()).isEqualTo(1);

    fx.put("app/w9/API_KEY", CANARY + "2", "1h", null);
    awaitLog("w9", 2, "start");
    await("the registration moves to #2")
        .atMost(PATIENCE)
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(() -> {
          tools.jackson.databind.JsonNode held =
              consumers("app/w9/API_KEY").get(0).get("secrets").get(0);
          assertThat(held.get("using").intValue()).isEqualTo(2);
          assertThat(held.get("accepting").toString()).isEqualTo("[2,1]");
        });

    assertThat(endRun("TERM")).isEqualTo(42);

    assertThat(consumers("app/w9/API_KEY")).isEmpty();
    String audit =
        fx.inProcess(Map.of("KEYTURN_TOKEN", fx.rootToken), "audit", "--json", "--since", "1h")
            .out();
    assertThat(audit).contains("consumer.register").contains("consumer.depart").contains("w9.test");
    assertNoCanary(audit);
    assertNoCanary(stderr() + Files.readString(out));
  }

  @Test
  void put_restartsChildWithNewValue_sameValueAndOtherNamesDoNot_termEndsRun() throws Exception {
    fx.put("app/w1/API_KEY", CANARY + "1");
    fx.put("app/w1/PLAIN", "plain-1");
    watch(env("read:app/*"), "w1", List.of("--splay", "0", "--path", "app/w1"), false);
    assertThat(childEnv("w1")).containsEntry("API_KEY", CANARY + "1");

    fx.put("app/w1/PLAIN", "plain-1");
    awaitStderr("no mapped value changed");
    fx.put("app/w1other/PLAIN", "x");
    fx.put("app/w1/deeper/PLAIN", "x");
    fx.put("app/w1/PLAIN", "plain-2");
    awaitLog("w1", 2, "start");

    assertThat(childEnv("w1"))
        .containsEntry("PLAIN", "plain-2")
        .containsEntry("API_KEY", CANARY + "1")
        .doesNotContainKey("KEYTURN_TOKEN");
    assertThat(log("w1")).containsExactly("start", "TERM", "start");
    assertThat(stderr()).doesNotContain("app/w1other", "app/w1/deeper");
    assertThat(endRun("TERM")).isEqualTo(42);
    assertThat(log("w1")).containsExactly("start", "TERM", "start", "TERM");
    assertNoCanary(stderr() + Files.readString(out));
  }

  @Test
  void signalHup_withFiles_rewritesFilesAndSignals_childNotRestarted_filesGoneAfter()
      throws Exception {
    fx.put("app/w2/SECRET_KEY", CANARY + "old");
    Map<String, String> env = env("read:app/w2/*");
    watch(
        env,
        "w2",
        List.of("--splay", "1s", "--files", "--on-change", "signal:HUP", "--path", "app/w2"),
        false);
    assertThat(childFiles("w2")).containsEntry("SECRET_KEY_FILE", CANARY + "old");

    fx.put("app/w2/SECRET_KEY", CANARY + "new");
    awaitLog("w2", 1, "HUP");

    assertThat(childFiles("w2")).containsEntry("SECRET_KEY_FILE", CANARY + "new");
    assertThat(childEnv("w2")).doesNotContainKey("SECRET_KEY");
    assertThat(log("w2")).containsExactly("start", "HUP");
    assertThat(endRun("TERM")).isEqualTo(42);
    try (var left = Files.list(Path.of(env.get("XDG_RUNTIME_DIR")))) {
      assertThat(left).isEmpty();
    }
    assertNoCanary(stderr() + Files.readString(out));
  }

  @Test
  void signalHup_filesCannotBeRewritten_childKeepsRunningUnderRun_saysSoWithoutValue()
      throws Exception {
    fx.put("app/w7/SECRET_KEY", CANARY + "old");
    Map<String, String> env = env("read:app/w7/*");
    watch(
        env,
        "w7",
        List.of("--splay", "0s", "--files", "--on-change", "signal:HUP", "--path", "app/w7"),
        false);
    // The folder vanishes under run (a cleaner, an operator): the next rewrite cannot happen.
    try (var dirs = Files.list(Path.of(env.get("XDG_RUNTIME_DIR")))) {
      for (Path dir : dirs.toList()) {
        try (var files = Files.list(dir)) {
          for (Path f : files.toList()) {
            Files.delete(f);
          }
        }
        Files.delete(dir);
      }
    }

    fx.put("app/w7/SECRET_KEY", CANARY + "new");
    awaitStderr("cannot write");

    // run still supervises CMD: the child is neither signalled with unwritten files nor orphaned.
    assertThat(run.isAlive()).as(this::stderr).isTrue();
    assertThat(log("w7")).containsExactly("start");
    assertThat(endRun("TERM")).isEqualTo(42);
    assertThat(log("w7")).containsExactly("start", "TERM");
    assertNoCanary(stderr() + Files.readString(out));
  }

  @Test
  void stopTimeout_childIgnoringTerm_getsSigkill_thenRestarts_filesGoneAfterSigkill()
      throws Exception {
    fx.put("app/w3/TOKEN", CANARY + "a");
    Map<String, String> env = env("read:app/w3/*");
    watch(
        env,
        "w3",
        List.of("--splay", "0", "--stop-timeout", "1s", "--files", "--path", "app/w3"),
        true);

    fx.put("app/w3/TOKEN", CANARY + "b");
    awaitLog("w3", 2, "start");

    assertThat(stderr()).contains("sending SIGKILL");
    assertThat(log("w3")).containsExactly("start", "TERM ignored", "start");
    assertThat(childFiles("w3")).containsEntry("TOKEN_FILE", CANARY + "b");
    String pid =
        String.valueOf(
            JsonMapper.builder()
                .build()
                .readTree(work.resolve("w3.json").toFile())
                .get("pid")
                .asInt());
    assertThat(new ProcessBuilder("kill", "-KILL", pid).start().waitFor()).isZero();
    assertThat(run.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(run.exitValue()).isEqualTo(128 + 9);
    try (var left = Files.list(Path.of(env.get("XDG_RUNTIME_DIR")))) {
      assertThat(left).isEmpty();
    }
    assertNoCanary(stderr() + Files.readString(out));
  }

  @Test
  void tokenWithoutReadOnChangedName_seesNothing() throws Exception {
    fx.put("app/w4/A", "a-1");
    fx.put("app/w4/B", "b-1");
    watch(env("read:app/w4/A"), "w4", List.of("--splay", "0", "--path", "app/w4"), false);

    fx.put("app/w4/B", "b-2");
    fx.put("app/w4/A", "a-2");
    awaitLog("w4", 2, "start");

    assertThat(childEnv("w4")).containsEntry("A", "a-2").doesNotContainKey("B");
    assertThat(stderr()).doesNotContain("app/w4/B");
    assertThat(log("w4")).containsExactly("start", "TERM", "start");
  }

  @Test
  void serverRestart_changeMadeWhileDown_isPickedUpAfter() throws Exception {
    fx.put("app/w5/DB_PASSWORD", "pw-1");
    watch(env("read:app/w5/*"), "w5", List.of("--splay", "0", "--path", "app/w5"), false);
    int port = fx.server.port();

    fx.server.close();
    awaitStderr("lost the change stream");
    // The change goes through another server on the same data, while the watched one is down.
    try (KeyturnServer other = fx.serve(0)) {
      dev.keyturn.client.internal.WireClient.builder()
          .address("http://127.0.0.1:" + other.port())
          .token(fx.rootToken)
          .build()
          .put(
              "app/w5/DB_PASSWORD",
              new dev.keyturn.api.PutSecretRequest("pw-2", null, null, null, null));
    }
    fx.server = fx.serve(port);
    awaitLog("w5", 2, "start");

    assertThat(childEnv("w5")).containsEntry("DB_PASSWORD", "pw-2");
  }

  @Test
  void failedReread_keepsChildOnItsValues_saysSoWithoutValue_retriesUntilItWorks()
      throws Exception {
    fx.put("app/w6/REQUIRED", CANARY + "r1");
    fx.put("app/w6/OTHER", "o-1");
    watch(
        env("read:app/w6/*"),
        "w6",
        List.of("--splay", "0", "--path", "app/w6", "--secret", "app/w6/REQUIRED"),
        false);

    fx.admin.delete("app/w6/REQUIRED", false);
    awaitStderr("cannot re-read the mapping (app/w6/REQUIRED: no such secret");
    fx.put("app/w6/OTHER", "o-2");
    awaitStderr("trying again in");
    assertThat(log("w6")).containsExactly("start");
    fx.put("app/w6/REQUIRED", CANARY + "r2");
    awaitLog("w6", 2, "start");

    assertThat(childEnv("w6"))
        .containsEntry("REQUIRED", CANARY + "r2")
        .containsEntry("OTHER", "o-2");
    assertThat(stderr().lines().filter(l -> l.contains("cannot re-read")))
        .allMatch(l -> l.startsWith("keyturn: "));
    assertNoCanary(stderr() + Files.readString(out));
  }

  @Test
  void usageErrors_exit2_namingTheProblem_beforeAnythingStarts() throws Exception {
    Map<String, String> env = env("read:app/*");
    Path marker = work.resolve("usage-started");
    String touch = marker.toString();

    DeliveryFixture.Run noFiles =
        fx.inProcess(
            env,
            "run",
            "--watch",
            "--on-change",
            "signal:HUP",
            "--path",
            "app/w1",
            "--",
            "touch",
            touch);
    DeliveryFixture.Run unknown =
        fx.inProcess(
            env,
            "run",
            "--watch",
            "--files",
            "--on-change",
            "signal:BOGUS",
            "--path",
            "app/w1",
            "--",
            "touch",
            touch);
    DeliveryFixture.Run other =
        fx.inProcess(
            env,
            "run",
            "--watch",
            "--on-change",
            "reload",
            "--path",
            "app/w1",
            "--",
            "touch",
            touch);
    DeliveryFixture.Run splay =
        fx.inProcess(
            env, "run", "--watch", "--splay", "5x", "--path", "app/w1", "--", "touch", touch);
    DeliveryFixture.Run stop =
        fx.inProcess(
            env,
            "run",
            "--watch",
            "--stop-timeout",
            "-1s",
            "--path",
            "app/w1",
            "--",
            "touch",
            touch);
    DeliveryFixture.Run noWatch =
        fx.inProcess(env, "run", "--splay", "1s", "--path", "app/w1", "--", "touch", touch);

    assertThat(noFiles.code()).isEqualTo(ExitCode.USAGE);
    assertThat(noFiles.err()).contains("signal:HUP needs --files");
    assertThat(unknown.code()).isEqualTo(ExitCode.USAGE);
    assertThat(unknown.err()).contains("unknown signal 'BOGUS'");
    assertThat(other.code()).isEqualTo(ExitCode.USAGE);
    assertThat(other.err()).contains("--on-change takes restart or signal:NAME");
    assertThat(splay.code()).isEqualTo(ExitCode.USAGE);
    assertThat(splay.err()).contains("--splay: invalid duration");
    assertThat(stop.code()).isEqualTo(ExitCode.USAGE);
    assertThat(stop.err()).contains("--stop-timeout");
    assertThat(noWatch.code()).isEqualTo(ExitCode.USAGE);
    assertThat(noWatch.err()).contains("--splay goes with --watch");
    assertThat(marker).doesNotExist();
  }
}
