package dev.keyturn.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A throw-away {@code redis-server} with an ACL file, on a free loopback port, for tests that
 * restart Redis to show what it keeps. Missing {@code redis-server} skips the test (fails under
 * {@code KEYTURN_IT=1}).
 */
public final class ScratchRedis implements AutoCloseable {
  private final Path dir;
  private final int port;
  private Process process;

  private ScratchRedis(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  public static ScratchRedis start() {
    try {
      Path dir = Files.createTempDirectory("keyturn-redis-");
      Files.writeString(dir.resolve("users.acl"), "user default on nopass ~* &* +@all\n");
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      ScratchRedis redis = new ScratchRedis(dir, port);
      redis.restart();
      return redis;
    } catch (IOException e) {
      TestServices.unavailable("redis-server", e);
      throw new AssertionError("unreachable");
    }
  }

  public int port() {
    return port;
  }

  /** Stops the server (as a crash would) and starts it again on the same port and ACL file. */
  public void restart() throws IOException {
    stop();
    process =
        new ProcessBuilder(
                List.of(
                    "redis-server",
                    "--port",
                    Integer.toString(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    dir.toString(),
                    "--aclfile",
                    dir.resolve("users.acl").toString()))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("log").toFile())
            .start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IOException(
              "redis-server did not start: " + Files.readString(dir.resolve("log")));
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", ie);
        }
      }
    }
  }

  private void stop() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; the OS cleans up
    }
  }
}
