package dev.keyturn.cli;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.server.KeyturnServer;
import dev.keyturn.server.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A real server in a fresh folder, with helpers to run {@code keyturn} in-process or as its own JVM
 * (for {@code run}, whose child process and signals need a process of its own).
 */
final class DeliveryFixture implements AutoCloseable {
  final Path work;
  KeyturnServer server;
  final String addr;
  final String rootToken;
  final WireClient admin;

  DeliveryFixture(Path work) throws IOException {
    this.work = work;
    server = serve(0);
    addr = "http://127.0.0.1:" + server.port();
    rootToken = Files.readString(work.resolve("keyturn-data").resolve("root.token")).strip();
    admin = WireClient.builder().address(addr).token(rootToken).build();
  }

  /** A server on this fixture's data folder, on {@code port} (0: any free one). */
  KeyturnServer serve(int port) {
    Path data = work.resolve("keyturn-data");
    return KeyturnServer.start(
        ServerConfig.local(
            data, "127.0.0.1", port, "jdbc:sqlite:" + data.resolve("keyturn.db"), Optional.empty()),
        Clock.systemUTC(),
        new SecureRandom());
  }

  void put(String name, String value) {
    admin.put(name, new PutSecretRequest(value, null, null, null, null));
  }

  void put(String name, String value, String grace, String stage) {
    admin.put(name, new PutSecretRequest(value, null, null, grace, stage));
  }

  String token(String... grants) {
    return admin.createToken(new TokenCreateRequest("test", List.of(grants), "1h")).token();
  }

  /** Output of one run. */
  record Run(int code, String out, String err) {}

  /** {@code keyturn ARGS} in this JVM, from {@link #work}, with {@code env} over the defaults. */
  Run inProcess(Map<String, String> env, String... args) {
    return inProcess(env, new byte[0], args);
  }

  /** {@code keyturn ARGS} in this JVM with {@code stdin} as its standard input. */
  Run inProcess(Map<String, String> env, byte[] stdin, String... args) {
    return inProcess(false, env, stdin, args);
  }

  /**
   * {@code keyturn ARGS} in this JVM through {@link FastCli#run} when {@code fast} (its code is
   * {@link FastCli#DECLINED} if it declined), else through picocli.
   */
  Run inProcess(boolean fast, Map<String, String> env, byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> all = new HashMap<>(Map.of("KEYTURN_ADDR", addr));
    all.putAll(env);
    Io io =
        new Io(
            new ByteArrayInputStream(stdin),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            all,
            work.resolve("home"),
            work,
            false);
    int code = fast ? FastCli.run(io, args) : KeyturnCli.run(io, args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** The command line that runs {@code keyturn ARGS} in a JVM of its own. */
  static List<String> javaCommand(String... args) {
    List<String> command = new ArrayList<>();
    // Every signal back to its default before java starts (env execs it: same pid). A build run
    // under nohup, or as a background job of a script, hands its children SIGHUP or SIGINT
    // ignored, and the JVM then never sees them: run's forwarding tests failed in such a CI run.
    command.add("env");
    command.add("--default-signal");
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(KeyturnCli.class.getName());
    command.addAll(List.of(args));
    return command;
  }

  /** Starts {@code keyturn ARGS} as its own process, stdin from /dev/null. */
  Process start(Map<String, String> env, Path stdout, Path stderr, String... args)
      throws IOException {
    ProcessBuilder builder =
        new ProcessBuilder(javaCommand(args))
            .directory(work.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
    builder.environment().put("KEYTURN_ADDR", addr);
    builder.environment().putAll(env);
    return builder.start();
  }

  /** Runs {@code keyturn ARGS} as its own process to its end. */
  Run process(Map<String, String> env, String... args) throws Exception {
    Path out = Files.createTempFile(work, "out", ".txt");
    Path err = Files.createTempFile(work, "err", ".txt");
    Process p = start(env, out, err, args);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("keyturn " + String.join(" ", args) + " did not end");
    }
    Run run = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    Files.delete(out);
    Files.delete(err);
    return run;
  }

  @Override
  public void close() {
    server.close();
  }
}
