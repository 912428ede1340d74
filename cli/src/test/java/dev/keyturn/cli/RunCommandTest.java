package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** {@code keyturn run} as its own process, with a child that records what it gets. */
class RunCommandTest {
  @TempDir static Path work;
  static DeliveryFixture fx;
  static Map<String, String> env;

  static final String CANARY = "canary-r7 'q' \"d\" $x #h \\ `b` ąę 日本\nline2\n";

  /** Records its environment (as JSON) and the signals it gets; TERM ends it with 42. */
  static final String CHILD =
      "import json, os, signal, sys, time\n"
          + "log = open(sys.argv[1], 'a', buffering=1)\n"
          + "def got(n, f): log.write(signal.Signals(n).name + '\\n')\n"
          + "for s in (signal.SIGHUP, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2):\n"
          + "    signal.signal(s, got)\n"
          + "def term(n, f):\n"
          + "    log.write('SIGTERM\\n'); sys.exit(42)\n"
          + "signal.signal(signal.SIGTERM, term)\n"
          + "files = {k: open(v, encoding='utf-8').read() for k, v in os.environ.items()"
          + " if k in ('API_TOKEN_FILE', 'SECRET_KEY_FILE')}\n"
          + "modes = {k: oct(os.stat(v).st_mode & 0o777) for k, v in os.environ.items()"
          + " if k in ('API_TOKEN_FILE', 'SECRET_KEY_FILE')}\n"
          + "json.dump({'env': dict(os.environ), 'files': files, 'modes': modes},"
          + " open(sys.argv[2], 'w'))\n"
          + "log.write('ready\\n')\n"
          + "if len(sys.argv) > 3: os.kill(os.getpid(), signal.SIGKILL)\n"
          + "while True: time.sleep(0.05)\n";

  @BeforeAll
  static void start() throws Exception {
    fx = new DeliveryFixture(work);
    fx.put("app/dev/SECRET_KEY", "new-key", "24h", null);
    fx.put("app/dev/API_TOKEN", CANARY);
    Files.writeString(work.resolve("child.py"), CHILD);
    env = new HashMap<>();
    env.put("KEYTURN_TOKEN", fx.token("read:app/dev/*"));
    env.put("KEYTURN_TOKEN_FILE", "/nonexistent");
    env.put("API_TOKEN", "inherited");
    env.put("XDG_RUNTIME_DIR", Files.createDirectory(work.resolve("xdg")).toString());
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  private static Map<String, Object> report(Path file) throws Exception {
    return JsonMapper.builder().build().readValue(file.toFile(), new TypeReference<>() {});
  }

  private static void awaitLine(Path log, String line) throws Exception {
    Instant end = Instant.now().plus(Duration.ofSeconds(60));
    while (Instant.now().isBefore(end)) {
      if (Files.exists(log) && Files.readAllLines(log).contains(line)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(log + " never got " + line);
  }

  private static void kill(String signal, long pid) throws Exception {
    assertThat(new ProcessBuilder("kill", "-s", signal, Long.toString(pid)).start().waitFor())
        .isZero();
  }

  @Test
  void valuesOverrideInherited_tokenRemoved_eachSignalForwardedOnce_exitIsChilds()
      throws Exception {
    Path log = work.resolve("signals.log");
    Path out = work.resolve("env.json");
    Process run =
        fx.start(
            env,
            work.resolve("run.out"),
            work.resolve("run.err"),
            "run",
            "--path",
            "app/dev",
            "--keyring",
            "--",
            "python3",
            "child.py",
            log.toString(),
            out.toString());
    try {
      awaitLine(log, "ready");
    } catch (AssertionError e) {
      run.destroyForcibly();
      throw new AssertionError(Files.readString(work.resolve("run.err")), e);
    }

    for (String signal : List.of("HUP", "INT", "USR1", "USR2")) {
      kill(signal, run.pid());
      awaitLine(log, "SIG" + signal);
    }
    kill("TERM", run.pid());
    assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(run.exitValue()).isEqualTo(42);
    assertThat(Files.readAllLines(log))
        .containsExactly("ready", "SIGHUP", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGTERM");
    @SuppressWarnings("unchecked")
    Map<String, String> childEnv = (Map<String, String>) report(out).get("env");
    assertThat(childEnv)
        .containsEntry("API_TOKEN", CANARY)
        .containsEntry("SECRET_KEY", "new-key")
        .containsEntry("SECRET_KEY_FALLBACKS", "[]")
        .containsEntry("SECRET_KEY_OLD", "")
        .doesNotContainKeys("KEYTURN_TOKEN", "KEYTURN_TOKEN_FILE");
    assertThat(
            Files.readString(work.resolve("run.out")) + Files.readString(work.resolve("run.err")))
        .doesNotContain("canary-r7");
  }

  @Test
  void exitCodes_childsCode_signal_notFound_usage_unreachable_forbidden() throws Exception {
    Path marker = work.resolve("started");
    DeliveryFixture.Run seven =
        fx.process(env, "run", "--path", "app/dev", "--", "sh", "-c", "exit 7");
    DeliveryFixture.Run killed =
        fx.process(env, "run", "--path", "app/dev", "--", "sh", "-c", "kill -KILL $$");
    DeliveryFixture.Run notFound =
        fx.process(env, "run", "--path", "app/dev", "--", "no-such-cmd-x");
    DeliveryFixture.Run noCmd = fx.process(env, "run", "--path", "app/dev");
    Map<String, String> away = new HashMap<>(env);
    away.put("KEYTURN_ADDR", "http://127.0.0.1:1");
    DeliveryFixture.Run unreachable =
        fx.process(away, "run", "--path", "app/dev", "--", "touch", marker.toString());
    DeliveryFixture.Run forbidden =
        fx.process(env, "run", "--secret", "app/prod/X", "--", "touch", marker.toString());

    assertThat(seven.code()).isEqualTo(7);
    assertThat(killed.code()).isEqualTo(128 + 9);
    assertThat(notFound.code()).isEqualTo(127);
    assertThat(notFound.err()).contains("no-such-cmd-x: command not found");
    assertThat(noCmd.code()).isEqualTo(ExitCode.USAGE);
    assertThat(unreachable.code()).isEqualTo(ExitCode.ERROR);
    assertThat(unreachable.err()).contains("cannot connect");
    assertThat(forbidden.code()).isEqualTo(ExitCode.REFUSED);
    assertThat(forbidden.err()).contains("app/prod/X");
    assertThat(marker).doesNotExist();
  }

  @Test
  void files_passVarFile_exactBytes_modes_removedAfterExit_evenAfterSigkill() throws Exception {
    Path out = work.resolve("files.json");
    Path log = work.resolve("files.log");
    DeliveryFixture.Run r =
        fx.process(
            env,
            "run",
            "--path",
            "app/dev",
            "--files",
            "--",
            "python3",
            "child.py",
            log.toString(),
            out.toString(),
            "sigkill");

    assertThat(r.code()).as(r.err()).isEqualTo(128 + 9);
    Map<String, Object> report = report(out);
    @SuppressWarnings("unchecked")
    Map<String, String> childEnv = (Map<String, String>) report.get("env");
    assertThat(childEnv).doesNotContainKeys("API_TOKEN", "SECRET_KEY");
    assertThat(childEnv.get("API_TOKEN_FILE"))
        .startsWith(env.get("XDG_RUNTIME_DIR") + "/keyturn-run-");
    assertThat(report.get("files"))
        .isEqualTo(Map.of("API_TOKEN_FILE", CANARY, "SECRET_KEY_FILE", "new-key"));
    assertThat(report.get("modes"))
        .isEqualTo(Map.of("API_TOKEN_FILE", "0o600", "SECRET_KEY_FILE", "0o600"));
    try (var left = Files.list(Path.of(env.get("XDG_RUNTIME_DIR")))) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void filesOnDisk_needsTheFlag_andOthersFoldersAreRefused() throws Exception {
    Path marker = work.resolve("disk-started");
    DeliveryFixture.Run disk =
        fx.process(
            env, "run", "--path", "app/dev", "--files=ondisk", "--", "touch", marker.toString());
    DeliveryFixture.Run allowed =
        fx.process(
            env, "run", "--path", "app/dev", "--files=ondisk2", "--files-on-disk", "--", "true");

    assertThat(disk.code()).isEqualTo(ExitCode.ERROR);
    assertThat(disk.err()).contains("--files-on-disk");
    assertThat(marker).doesNotExist();
    assertThat(work.resolve("ondisk")).doesNotExist();
    assertThat(allowed.code()).as(allowed.err()).isZero();
    assertThat(work.resolve("ondisk2")).doesNotExist();
  }

  @Test
  void keyringDuringGrace_oldSignatureVerifiesThroughFallbacks() throws Exception {
    fx.put("app/dev/SIGNING", "old-signing-key");
    Path sign = work.resolve("sign.py");
    Files.writeString(
        sign,
        "import itsdangerous, os, sys\n"
            + "print(itsdangerous.Signer(os.environ['SIGNING']).sign(b'payload').decode())\n");
    Path verify = work.resolve("verify.py");
    Files.writeString(
        verify,
        "import itsdangerous, json, os, sys\n"
            + "keys = [os.environ['SIGNING']] + json.loads(os.environ['SIGNING_FALLBACKS'])\n"
            + "s = itsdangerous.Signer(keys)\n"
            + "sys.exit(0 if s.validate(open(sys.argv[1], 'rb').read().strip()) else 9)\n");
    Path signature = work.resolve("signature");
    Map<String, String> admin = new HashMap<>(env);
    admin.put("KEYTURN_TOKEN", fx.rootToken);
    DeliveryFixture.Run signed =
        fx.process(
            admin,
            "run",
            "--secret",
            "app/dev/SIGNING",
            "--",
            "sh",
            "-c",
            "python3 sign.py > " + signature);
    Instant graceStart = Instant.now();
    fx.put("app/dev/SIGNING", "new-signing-key", "15s", null);
    DeliveryFixture.Run inGrace =
        fx.process(
            admin,
            "run",
            "--secret",
            "app/dev/SIGNING:keyring",
            "--",
            "python3",
            "verify.py",
            signature.toString());
    boolean checkedInGrace = Instant.now().isBefore(graceStart.plusSeconds(15));
    // Waits out the 15 s grace window, after which the old key is no longer accepted.
    Thread.sleep(
        Math.max(0, Duration.between(Instant.now(), graceStart.plusSeconds(16)).toMillis()));
    DeliveryFixture.Run afterGrace =
        fx.process(
            admin,
            "run",
            "--secret",
            "app/dev/SIGNING:keyring",
            "--",
            "python3",
            "verify.py",
            signature.toString());

    assertThat(signed.code()).as(signed.err()).isZero();
    assertThat(checkedInGrace).as("verified inside the grace window").isTrue();
    assertThat(inGrace.code()).as(inGrace.err()).isZero();
    assertThat(afterGrace.code()).as(afterGrace.err() + afterGrace.out()).isEqualTo(9);
  }
}
