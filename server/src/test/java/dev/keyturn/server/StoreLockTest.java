package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.core.KeyturnException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One embedded database, one process: the lock beside the database's real path. */
class StoreLockTest {
  @TempDir Path dir;

  @Test
  void secondServer_withItsOwnDataButTheFirstsDatabase_isRefusedNamingTheHolder() {
    Path first = dir.resolve("first");
    try (RunningServer server = RunningServer.start(first)) {
      server.client().put("lock/K", new PutSecretRequest("v", null, null, null, null));

      assertThatThrownBy(() -> startOn(dir.resolve("second"), first.resolve("keyturn.db")))
          .isInstanceOf(KeyturnException.Conflict.class)
          .hasMessageContaining(first.resolve("keyturn.db").toString())
          .hasMessageContaining("pid " + ProcessHandle.current().pid() + " on host ");
      assertThat(server.client().get("lock/K").value().stringValue()).isEqualTo("v");
    }
    try (RunningServer second = startOn(dir.resolve("second"), first.resolve("keyturn.db"))) {
      assertThat(second.client(tokenOf(first)).get("lock/K").value().stringValue()).isEqualTo("v");
    }
  }

  @Test
  void databaseReachedThroughASymlink_sharesTheLockOfItsRealPath() throws Exception {
    Path first = dir.resolve("first");
    Path other = Files.createDirectories(dir.resolve("other"));
    Path link = Files.createSymbolicLink(other.resolve("alias.db"), first.resolve("keyturn.db"));
    try (RunningServer server = RunningServer.start(first)) {

      assertThatThrownBy(() -> startOn(dir.resolve("second"), link))
          .isInstanceOf(KeyturnException.Conflict.class)
          .hasMessageContaining(first.resolve("keyturn.db").toRealPath().toString());
    }
  }

  @Test
  void serverInAnotherProcess_isNamedByPidAndHost_andItsDeathFreesTheLock() throws Exception {
    Path first = dir.resolve("first");
    Process child = startChildServer(first);
    try {
      assertThat(Files.readString(first.resolve("keyturn.db.lock")))
          .contains("pid " + child.pid() + " on host " + InetAddress.getLocalHost().getHostName());

      assertThatThrownBy(() -> startOn(dir.resolve("second"), first.resolve("keyturn.db")))
          .isInstanceOf(KeyturnException.Conflict.class)
          .hasMessageContaining("pid " + child.pid() + " on host ");
    } finally {
      child.destroyForcibly(); // SIGKILL: the OS drops the lock
      child.waitFor(30, TimeUnit.SECONDS);
    }
    startOn(dir.resolve("second"), first.resolve("keyturn.db")).close();
    // read once closed: opening the lock file while holding it would drop this process's lock
    assertThat(Files.readString(first.resolve("keyturn.db.lock")))
        .contains("pid " + ProcessHandle.current().pid() + " ");
  }

  @Test
  void refusedSecondTryInThisProcess_leavesTheFirstLockHeldAgainstOthers() throws Exception {
    Path first = dir.resolve("first");
    try (RunningServer server = RunningServer.start(first)) {
      assertThatThrownBy(() -> startOn(dir.resolve("second"), first.resolve("keyturn.db")))
          .isInstanceOf(KeyturnException.Conflict.class);

      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      Process other =
          new ProcessBuilder(
                  java.toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  "dev.keyturn.server.Main",
                  "--data",
                  dir.resolve("third").toString(),
                  "--store",
                  "jdbc:sqlite:" + first.resolve("keyturn.db"),
                  "--listen",
                  "127.0.0.1:0")
              .redirectErrorStream(true)
              .start();
      String output = new String(other.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(other.exitValue()).as(output).isEqualTo(1);
      assertThat(output)
          .contains("is in use by another Keyturn process (pid " + ProcessHandle.current().pid());
    }
  }

  @Test
  void lockFilePlantedAsSymlink_isNotFollowed() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Path victim = Files.writeString(dir.resolve("victim"), "keep me");
    Files.createSymbolicLink(data.resolve("keyturn.db.lock"), victim);

    assertThatThrownBy(() -> RunningServer.start(data))
        .isInstanceOf(KeyturnException.Unavailable.class)
        .hasMessageContaining("keyturn.db.lock");
    assertThat(Files.readString(victim)).isEqualTo("keep me");
  }

  @Test
  void sharedAndInMemoryStores_needNoLock() {
    assertThat(StoreLock.acquire("jdbc:postgresql://127.0.0.1/test")).isSameAs(StoreLock.NONE);
    assertThat(StoreLock.acquire("jdbc:sqlite::memory:")).isSameAs(StoreLock.NONE);
  }

  /** A server with its own data folder on {@code database}, with the first server's root key. */
  private static RunningServer startOn(Path data, Path database) {
    Path key = database.resolveSibling("root.key");
    Optional<String> rootKey;
    try {
      rootKey = Files.exists(key) ? Optional.of(Files.readString(key)) : Optional.empty();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return RunningServer.start(
        ServerConfig.local(data, "127.0.0.1", 0, "jdbc:sqlite:" + database, rootKey),
        Clock.systemUTC());
  }

  private static String tokenOf(Path data) {
    try {
      return Files.readString(data.resolve("root.token")).strip();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** {@code keyturn server} in a child JVM; returns once it listens. */
  private static Process startChildServer(Path data) throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p =
        new ProcessBuilder(
                java.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.keyturn.server.Main",
                "--data",
                data.toString(),
                "--listen",
                "127.0.0.1:0")
            .redirectErrorStream(true)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    StringBuilder seen = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null && System.nanoTime() < deadline) {
      seen.append(line).append('\n');
      if (line.contains("listening on http://127.0.0.1:")) {
        Thread.ofVirtual()
            .start(() -> {
              try {
                while (out.readLine() != null) {
                  // keep the pipe from filling up
                }
              } catch (IOException e) {
                // the process ended
              }
            });
        return p;
      }
    }
    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    throw new AssertionError("the server did not start:\n" + seen);
  }
}
