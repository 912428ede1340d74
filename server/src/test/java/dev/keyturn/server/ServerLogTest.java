package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** What a client sends before it is authenticated never reaches the server log. */
class ServerLogTest {
  @TempDir Path dir;

  private static final String CANARY = "canary-log-injection";

  private static void send(int port, String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(1_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      s.getInputStream().readAllBytes();
    } catch (SocketTimeoutException e) {
      // some refusals leave the connection open; the log is what this test is about
    }
  }

  @Test
  void forgedHostsAndConnectTargets_logNoClientText() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    root.addAppender(captured);
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      int port = server.server.port();
      List<String> requests =
          List.of(
              "GET /v1/health HTTP/1.1\r\nHost: [" + CANARY + "\r\nConnection: close\r\n\r\n",
              "GET /v1/health HTTP/1.1\r\nHost: " + CANARY + ":99999\r\nConnection: close\r\n\r\n",
              "GET /v1/health HTTP/1.1\r\nHost: a@" + CANARY + "\r\nConnection: close\r\n\r\n",
              "CONNECT " + CANARY + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
              "CONNECT [" + CANARY + ":443 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
              "GET http://["
                  + CANARY
                  + "/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
              "GET /v1/" + CANARY + "\u0001 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
              "GET /v1/health HTTP/1.1\r\nHost: x\r\n" + CANARY + "\r\n\r\n");

      for (int i = 0; i < 3; i++) {
        for (String request : requests) {
          send(port, request);
        }
      }
    } finally {
      root.detachAppender(captured);
    }

    assertThat(captured.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .noneMatch(m -> m.contains(CANARY))
        .filteredOn(m -> m.contains("malformed request"))
        .as("one rate-limited count, no client text")
        .hasSizeLessThanOrEqualTo(1);
    assertThat(captured.list)
        .filteredOn(e -> e.getThrowableProxy() != null)
        .extracting(e -> e.getThrowableProxy().getMessage())
        .noneMatch(m -> m != null && m.contains(CANARY));
  }
}
