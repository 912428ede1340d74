package dev.keyturn.server;

import dev.keyturn.client.internal.WireClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;

/** A real server on an ephemeral loopback port over SQLite in a test's folder. */
final class RunningServer implements AutoCloseable {
  final Path dataDir;
  final KeyturnServer server;

  private RunningServer(Path dataDir, KeyturnServer server) {
    this.dataDir = dataDir;
    this.server = server;
  }

  static RunningServer start(Path dataDir) {
    return start(dataDir, Optional.empty());
  }

  static RunningServer start(Path dataDir, Optional<String> rootKey) {
    return start(config(dataDir, rootKey), Clock.systemUTC());
  }

  static RunningServer start(ServerConfig config, Clock clock) {
    return new RunningServer(
        config.dataDir(), KeyturnServer.start(config, clock, new SecureRandom()));
  }

  /** As {@link #start(ServerConfig, Clock)}, serving {@code routes} of the table. */
  static RunningServer start(
      ServerConfig config,
      Clock clock,
      java.util.function.UnaryOperator<java.util.List<Route>> routes) {
    return new RunningServer(
        config.dataDir(), KeyturnServer.start(config, clock, new SecureRandom(), routes));
  }

  /** As {@link #start(Path)}, with the configuration file {@code yaml} (written to the folder). */
  static RunningServer startWithConfig(Path dataDir, String yaml) {
    try {
      Files.createDirectories(dataDir);
      Path file = dataDir.resolveSibling(dataDir.getFileName() + ".yaml");
      Files.writeString(file, yaml);
      return start(
          config(dataDir, Optional.empty()).toBuilder().hostPolicy(ConfigFile.read(file)).build(),
          Clock.systemUTC());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Plain HTTP on an ephemeral loopback port over SQLite in {@code dataDir}. */
  static ServerConfig config(Path dataDir, Optional<String> rootKey) {
    return ServerConfig.local(
        dataDir, "127.0.0.1", 0, "jdbc:sqlite:" + dataDir.resolve("keyturn.db"), rootKey);
  }

  int port() {
    return server.port();
  }

  String url() {
    return "http://127.0.0.1:" + server.port();
  }

  String rootToken() {
    try {
      return Files.readString(dataDir.resolve("root.token")).strip();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  WireClient client() {
    return client(rootToken());
  }

  WireClient client(String token) {
    return WireClient.builder().address(url()).token(token).build();
  }

  /** Makes a token with {@code grants} as root, and returns it. */
  String token(String... grants) {
    return client()
        .createToken(
            new dev.keyturn.api.TokenCreateRequest("test", java.util.List.of(grants), null))
        .token();
  }

  /** A status and body read off a raw socket. */
  record Raw(int status, String headers, String body) {}

  /** Sends {@code rawPath} exactly as given: no client library normalizes or encodes it. */
  Raw raw(String method, String rawPath, String token, byte[] body) {
    return raw(method, rawPath, token, body, "");
  }

  /**
   * As {@link #raw(String, String, String, byte[])}, with extra header lines ("Name: value\r\n").
   */
  Raw raw(String method, String rawPath, String token, byte[] body, String extraHeaders) {
    return rawFrom("127.0.0.1", method, rawPath, token, body, extraHeaders);
  }

  /** As {@link #raw(String, String, String, byte[], String)}, from another loopback address. */
  Raw rawFrom(
      String localAddress,
      String method,
      String rawPath,
      String token,
      byte[] body,
      String extraHeaders) {
    try (Socket socket =
        new Socket(
            java.net.InetAddress.getByName("127.0.0.1"),
            server.port(),
            java.net.InetAddress.getByName(localAddress),
            0)) {
      socket.setSoTimeout(30_000);
      StringBuilder head = new StringBuilder();
      head.append(method).append(' ').append(rawPath).append(" HTTP/1.1\r\n");
      head.append("Host: 127.0.0.1\r\nConnection: close\r\n").append(extraHeaders);
      if (token != null) {
        head.append("Authorization: Bearer ").append(token).append("\r\n");
      }
      if (body != null) {
        head.append("Content-Type: application/json\r\n");
        head.append("Content-Length: ").append(body.length).append("\r\n");
      }
      head.append("\r\n");
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        try {
          out.write(body);
        } catch (IOException e) {
          // the server may answer (413) and close before it has read the whole body
        }
      }
      out.flush();
      InputStream in = socket.getInputStream();
      String response = readResponse(in);
      int split = response.indexOf("\r\n\r\n");
      String headers = response.substring(0, split);
      int status = Integer.parseInt(headers.substring(9, 12));
      return new Raw(status, headers, response.substring(split + 4));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * The whole response; for an event stream (which does not end), up to the {@code : ready} comment
   * that follows what the server replays.
   */
  private static String readResponse(InputStream in) throws IOException {
    java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      got.write(buffer, 0, n);
      String text = got.toString(StandardCharsets.UTF_8);
      int split = text.indexOf("\r\n\r\n");
      if (split > 0
          && text.substring(0, split).contains("text/event-stream")
          && text.indexOf(": ready\n\n", split) > 0) {
        break;
      }
    }
    return got.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    server.close();
  }
}
