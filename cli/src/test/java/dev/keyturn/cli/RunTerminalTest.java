package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C under a real terminal: {@code keyturn run} in a pseudo-terminal's foreground process
 * group, its child recording the signals it gets, and the terminal's interrupt character written to
 * the pty master.
 *
 * <p>The terminal must be the <em>controlling</em> terminal of run's session, as a shell's is:
 * {@code pty.fork()} makes the child a session leader with the pty as its controlling terminal and
 * its group in the foreground. With a pty merely passed as standard input ({@code os.openpty()} and
 * a plain spawn) the interrupt character signals no one, the child waits for ever, and so does run;
 * that is how an earlier version of this test hung. Every wait here is bounded: the driver kills
 * the whole process group and fails when one runs out, and this test kills the group if the driver
 * itself does not end.
 */
class RunTerminalTest {
  @TempDir static Path work;
  static DeliveryFixture fx;

  /**
   * Logs each SIGINT; after the first, waits 2 s for a second (a forwarded copy) to be logged, then
   * dies of SIGINT itself, so run's exit code is 130.
   */
  static final String CHILD =
      "import os, signal, sys, time\n"
          + "log = open(sys.argv[1], 'a', buffering=1)\n"
          + "got = []\n"
          + "def on_int(n, f):\n"
          + "    log.write('SIGINT\\n'); got.append(time.monotonic())\n"
          + "signal.signal(signal.SIGINT, on_int)\n"
          + "log.write('ready\\n')\n"
          + "while not got or time.monotonic() < got[0] + 2: time.sleep(0.05)\n"
          + "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
          + "os.kill(os.getpid(), signal.SIGINT)\n";

  /**
   * {@code driver.py PGID_FILE LOG CMD...}: runs CMD on a new pty, waits for "ready" in LOG, types
   * Ctrl-C, and prints CMD's exit code; on any timeout it kills CMD's process group and exits 3.
   */
  static final String DRIVER =
      "import os, pty, select, signal, sys, time\n"
          + "pgid_file, log, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]\n"
          + "pid, master = pty.fork()\n"
          + "if pid == 0:\n"
          + "    os.execvp(cmd[0], cmd)\n"
          + "open(pgid_file, 'w').write(str(pid))\n"
          + "def fail(why):\n"
          + "    os.killpg(pid, signal.SIGKILL)\n"
          + "    print('timeout: ' + why, flush=True); sys.exit(3)\n"
          + "def drain(seconds):\n"
          + "    if select.select([master], [], [], seconds)[0]:\n"
          + "        try: os.read(master, 4096)\n"
          + "        except OSError: time.sleep(seconds)\n"
          + "def ready():\n"
          + "    return os.path.exists(log) and 'ready' in open(log).read().split()\n"
          + "end = time.monotonic() + 90\n"
          + "while not ready():\n"
          + "    if time.monotonic() > end: fail('the child never started')\n"
          + "    drain(0.05)\n"
          + "os.write(master, b'\\x03')\n"
          + "end = time.monotonic() + 60\n"
          + "while True:\n"
          + "    done, status = os.waitpid(pid, os.WNOHANG)\n"
          + "    if done: break\n"
          + "    if time.monotonic() > end: fail('run did not end after Ctrl-C')\n"
          + "    drain(0.05)\n"
          + "print(os.waitstatus_to_exitcode(status), flush=True)\n";

  @BeforeAll
  static void start() throws Exception {
    fx = new DeliveryFixture(work);
    fx.put("app/tty/KEY", "tty-value");
    Files.writeString(work.resolve("child.py"), CHILD);
    Files.writeString(work.resolve("driver.py"), DRIVER);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @Test
  void ctrlC_reachesTheChildOnce_runExits130() throws Exception {
    Path log = work.resolve("int.log");
    Path pgid = work.resolve("pgid");
    List<String> command = new ArrayList<>();
    command.addAll(List.of("python3", "driver.py", pgid.toString(), log.toString()));
    command.addAll(
        DeliveryFixture.javaCommand(
            "run", "--secret", "app/tty/KEY", "--", "python3", "child.py", log.toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("driver.out").toFile());
    builder.environment().putAll(Map.of("KEYTURN_ADDR", fx.addr, "KEYTURN_TOKEN", fx.rootToken));
    Process driver = builder.start();
    if (!driver.waitFor(180, TimeUnit.SECONDS)) {
      driver.destroyForcibly();
      if (Files.exists(pgid)) {
        new ProcessBuilder("kill", "-KILL", "--", "-" + Files.readString(pgid).trim())
            .start()
            .waitFor(10, TimeUnit.SECONDS);
      }
      throw new AssertionError("the pty driver did not end");
    }

    String out = Files.readString(work.resolve("driver.out"));
    assertThat(driver.exitValue()).as(out).isZero();
    assertThat(out.strip()).isEqualTo("130");
    assertThat(Files.readAllLines(log)).containsExactly("ready", "SIGINT");
  }
}
