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
 * restart Redis to show what it keeps, or that speak TLS to it ({@link #startTls}: only a TLS port,
 * with a certificate for {@code 127.0.0.1} signed by a CA made here with {@code openssl}). Missing
 * {@code redis-server} or {@code openssl} skips the test (fails under {@code KEYTURN_IT=1}).
 */
public final class ScratchRedis implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final boolean tls;
  private Process process;

  private ScratchRedis(Path dir, int port, boolean tls) {
    this.dir = dir;
    this.port = port;
    this.tls = tls;
  }

  public static ScratchRedis start() {
    return start(false);
  }

  /**
   * A Redis that listens only with TLS ({@code --tls-port}); {@link #caFile} signed its
   * certificate, whose only name is the address {@code 127.0.0.1}, and {@link #otherCaFile} is a CA
   * that did not.
   */
  public static ScratchRedis startTls() {
    return start(true);
  }

  private static ScratchRedis start(boolean tls) {
    try {
      Path dir = Files.createTempDirectory("keyturn-redis-");
      Files.writeString(dir.resolve("users.acl"), "user default on nopass ~* &* +@all\n");
      if (tls) {
        makeCertificates(dir);
      }
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      ScratchRedis redis = new ScratchRedis(dir, port, tls);
      redis.restart();
      return redis;
    } catch (IOException e) {
      TestServices.unavailable(tls ? "redis-server with TLS, openssl" : "redis-server", e);
      throw new AssertionError("unreachable");
    }
  }

  /** The CA that signed the TLS server's certificate (PEM). */
  public Path caFile() {
    return dir.resolve("ca.pem");
  }

  /** A CA that signed nothing this server shows (PEM). */
  public Path otherCaFile() {
    return dir.resolve("other-ca.pem");
  }

  private static void makeCertificates(Path dir) throws IOException {
    for (String ca : List.of("ca", "other-ca")) {
      openssl(
          dir,
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:P-256",
          "-nodes",
          "-keyout",
          ca + ".key",
          "-out",
          ca + ".pem",
          "-days",
          "2",
          "-subj",
          "/CN=keyturn test " + ca);
    }
    openssl(
        dir,
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1");
    Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl(
        dir,
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext");
  }

  private static void openssl(Path dir, String... args) throws IOException {
    List<String> command = new java.util.ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    try {
      String output =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (p.waitFor() != 0) {
        throw new IOException("openssl " + args[0] + " failed: " + output.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  public int port() {
    return port;
  }

  /** Stops the server (as a crash would) and starts it again on the same port and ACL file. */
  public void restart() throws IOException {
    stop();
    List<String> listen =
        tls
            ? List.of(
                "--port",
                "0",
                "--tls-port",
                Integer.toString(port),
                "--tls-cert-file",
                dir.resolve("server.pem").toString(),
                "--tls-key-file",
                dir.resolve("server.key").toString(),
                "--tls-ca-cert-file",
                caFile().toString(),
                "--tls-auth-clients",
                "no")
            : List.of("--port", Integer.toString(port));
    List<String> command = new java.util.ArrayList<>(List.of("redis-server"));
    command.addAll(listen);
    process =
        new ProcessBuilder(
                concat(
                    command,
                    List.of(
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        dir.toString(),
                        "--aclfile",
                        dir.resolve("users.acl").toString())))
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

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new java.util.ArrayList<>(a);
    out.addAll(b);
    return out;
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
