package dev.keyturn.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throw-away PostgreSQL cluster that demands passwords: {@code initdb --auth=scram-sha-256} and
 * {@code pg_ctl} from the installed server packages, run as the {@code postgres} user when the
 * tests run as root, on a free loopback port, in a temporary directory. The machine's own server
 * trusts loopback logins, so a login test against it proves nothing; this one refuses a wrong
 * password. Missing packages skip the test (fail under {@code KEYTURN_IT=1}).
 */
public final class ScratchPostgres implements AutoCloseable {
  private final Path dir;
  private final Path bin;
  private final int port;
  private final String superPassword;

  private ScratchPostgres(Path dir, Path bin, int port, String superPassword) {
    this.dir = dir;
    this.bin = bin;
    this.port = port;
    this.superPassword = superPassword;
  }

  /** Starts a new cluster; its superuser is {@code postgres} with {@link #superPassword()}. */
  public static ScratchPostgres start() {
    return start("scram-sha-256");
  }

  /**
   * Starts a new cluster with {@code auth} for every connection ({@code trust} makes one that
   * accepts any password, as the machine's own server does on loopback).
   */
  public static ScratchPostgres start(String auth) {
    Path bin = findBin();
    try {
      Path dir = Files.createTempDirectory("keyturn-pg-");
      String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
      Path pwfile = dir.resolve("pwfile");
      Files.writeString(pwfile, password + "\n");
      Path data = dir.resolve("data");
      if (isRoot()) {
        run(List.of("chown", "-R", "postgres:postgres", dir.toString()), false);
      }
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      run(
          List.of(
              bin.resolve("initdb").toString(),
              "-D",
              data.toString(),
              "-U",
              "postgres",
              "--auth=" + auth,
              "--pwfile=" + pwfile,
              "--no-sync",
              "-E",
              "UTF8"),
          true);
      int port = freePort();
      run(
          List.of(
              bin.resolve("pg_ctl").toString(),
              "-D",
              data.toString(),
              "-l",
              dir.resolve("log").toString(),
              "-w",
              "-t",
              "60",
              "-o",
              "-p "
                  + port
                  + " -k "
                  + dir
                  + " -c listen_addresses=127.0.0.1 -c fsync=off -c log_statement=all",
              "start"),
          true);
      return new ScratchPostgres(dir, bin, port, password);
    } catch (IOException e) {
      TestServices.unavailable("a scratch PostgreSQL cluster (initdb, pg_ctl)", e);
      throw new AssertionError("unreachable");
    }
  }

  public int port() {
    return port;
  }

  public String superPassword() {
    return superPassword;
  }

  /** The superuser's JDBC URL for {@code database}. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:"
        + port
        + "/"
        + database
        + "?user=postgres&password="
        + superPassword;
  }

  /** The server log, for tests that check what the server was told. */
  public String log() throws IOException {
    Path log = dir.resolve("log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Override
  public void close() {
    try {
      run(
          List.of(
              bin.resolve("pg_ctl").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-m",
              "immediate",
              "stop"),
          true);
    } catch (IOException e) {
      // already gone
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; the OS cleans up
    }
  }

  private static Path findBin() {
    Path root = Path.of("/usr/lib/postgresql");
    try (Stream<Path> versions = Files.list(root)) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.comparingInt(ScratchPostgres::major))
          .orElseThrow(() -> new IOException("no initdb under " + root));
    } catch (IOException e) {
      TestServices.unavailable("PostgreSQL server packages (initdb)", e);
      throw new AssertionError("unreachable");
    }
  }

  private static int major(Path bin) {
    try {
      return Integer.parseInt(bin.getParent().getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void run(List<String> command, boolean asPostgres) throws IOException {
    List<String> full = new ArrayList<>();
    if (asPostgres && isRoot()) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
    try {
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(command.get(0) + " failed: " + output.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
