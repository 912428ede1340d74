package dev.keyturn.server;

import dev.keyturn.client.internal.WireClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Keyturn server in a child JVM, on the test's classpath, for tests that SIGKILL it (public for
 * the browser tests in ui-tests); {@code output} collects what it prints (its log).
 */
public record ChildServer(Process process, int port, Path data, StringBuffer output) {
  private static final Pattern LISTENING =
      Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

  public static ChildServer start(Path data, Path config) throws IOException, InterruptedException {
    return start(data, List.of("--config", config.toString()));
  }

  /** A server without a configuration file (no declared commands). */
  public static ChildServer start(Path data) throws IOException, InterruptedException {
    return start(data, List.of());
  }

  /** A server with {@code extra} options after {@code --data} and {@code --listen}. */
  public static ChildServer start(Path data, List<String> extra)
      throws IOException, InterruptedException {
    return start(List.of(), data, extra);
  }

  /** A server in a JVM started with {@code jvmOptions}, and {@code extra} options. */
  public static ChildServer start(List<String> jvmOptions, Path data, List<String> extra)
      throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new ArrayList<>(
            List.of(
                java.toString(),
                // C1 alone and the serial collector: a test's server lives seconds to a minute,
                // so C2's compilations and the parallel collector's threads cost the two cores
                // more than they win back.
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC"));
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            "dev.keyturn.server.Main",
            "--data",
            data.toString(),
            "--listen",
            "127.0.0.1:0"));
    command.addAll(extra);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    // Generous: a start that recovers a killed rotation took over a minute at a load of 37.
    long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    String line;
    StringBuilder seen = new StringBuilder();
    while ((line = out.readLine()) != null) {
      seen.append(line).append('\n');
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        StringBuffer output = new StringBuffer(seen);
        Thread.ofVirtual().start(() -> drain(out, output));
        return new ChildServer(p, Integer.parseInt(m.group(1)), data, output);
      }
      if (System.nanoTime() > deadline) {
        break;
      }
    }
    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    throw new AssertionError("the server did not start:\n" + seen);
  }

  /** A client with {@code token}. */
  public WireClient client(String token) {
    return WireClient.builder().address("http://127.0.0.1:" + port).token(token).build();
  }

  public WireClient client() {
    try {
      String token = Files.readString(data.resolve("root.token")).strip();
      return WireClient.builder().address("http://127.0.0.1:" + port).token(token).build();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** A request as sent, without the client's checks: {@code token} and {@code body} may be null. */
  java.net.http.HttpResponse<String> http(String method, String path, String token, String body)
      throws IOException, InterruptedException {
    java.net.http.HttpRequest.Builder b =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? java.net.http.HttpRequest.BodyPublishers.noBody()
                    : java.net.http.HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    try (java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient()) {
      return client.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }
  }

  public void kill() throws InterruptedException {
    process.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
    process.waitFor(30, TimeUnit.SECONDS);
  }

  private static void drain(BufferedReader out, StringBuffer output) {
    try {
      String line;
      while ((line = out.readLine()) != null) {
        output.append(line).append('\n');
      }
    } catch (IOException e) {
      // the process ended
    }
  }
}
