package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that trickle bytes cannot hold the server: real loopback sockets, bounded in number and
 * in how long they trickle, from 127.0.0.2, while a client on 127.0.0.1 keeps getting answers.
 */
class SlowClientTest {
  @TempDir Path dir;

  private static final String ATTACKER = "127.0.0.2";

  private RunningServer start(HttpLimits limits) {
    return RunningServer.start(
        RunningServer.config(dir.resolve("data"), Optional.empty()).toBuilder()
            .limits(limits)
            .build(),
        java.time.Clock.systemUTC());
  }

  /** A socket from {@code ATTACKER} that has sent {@code head} and waits to trickle more. */
  private static Socket open(RunningServer server, String head) throws IOException {
    Socket s =
        new Socket(
            InetAddress.getByName("127.0.0.1"),
            server.server.port(),
            InetAddress.getByName(ATTACKER),
            0);
    s.setSoTimeout(50);
    s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
    return s;
  }

  /** True once the server has answered or closed {@code s} (never blocks for long). */
  private static boolean ended(Socket s) {
    try {
      s.getInputStream().read();
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** Sends one more byte; false when the server has closed the connection. */
  private static boolean trickle(Socket s, char c) {
    try {
      OutputStream out = s.getOutputStream();
      out.write(c);
      out.flush();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String probe(RunningServer server, String token) {
    RunningServer.Raw r = server.rawFrom(ATTACKER, "GET", "/v1/whoami", token, null, "");
    return r.status() + " " + r.body();
  }

  private static String slowPut(String token) {
    return "PUT /v1/secrets/slow/K HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        + token
        + "\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{";
  }

  @Test
  void threeHundredSlowUploads_fromOneAddress_leaveTheServerAnsweringOthers() throws Exception {
    try (RunningServer server = start(HttpLimits.DEFAULT)) {
      String token = server.rootToken();
      List<Socket> slow = new ArrayList<>();
      try {
        for (int i = 0; i < 300; i++) {
          slow.add(open(server, slowPut(token)));
        }
        List<Integer> answers = new ArrayList<>();

        for (int round = 0; round < 8; round++) {
          Thread.sleep(500);
          for (Socket s : slow) {
            trickle(s, ' ');
          }
          RunningServer.Raw legit = server.raw("GET", "/v1/whoami", token, null);
          answers.add(legit.status());
        }

        assertThat(answers).as("the client on 127.0.0.1 is answered throughout").containsOnly(200);
        long open = slow.stream().filter(s -> !ended(s)).count();
        assertThat(open).as("every slow upload was refused or cut off").isZero();
      } finally {
        for (Socket s : slow) {
          s.close();
        }
      }
    }
  }

  @Test
  void requestsOverTheLimitPerAddress_get429AtOnce_andAreCountedNotEachAudited() throws Exception {
    HttpLimits limits = new HttpLimits(3, Duration.ofSeconds(10), Duration.ofSeconds(30), 1);
    try (RunningServer server = start(limits)) {
      String token = server.rootToken();
      List<Socket> held = new ArrayList<>();
      List<String> refusals = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          held.add(open(server, slowPut(token)));
        }
        // Requests race for the three slots: wait until the held uploads hold all of them (one
        // refused to make way for a probe is opened again), which a refused probe shows.
        int probe = 0;
        while (probe < 100 && !(probe(server, token).startsWith("429"))) {
          for (int i = 0; i < held.size(); i++) {
            if (ended(held.get(i))) {
              held.get(i).close();
              held.set(i, open(server, slowPut(token)));
            }
          }
          Thread.sleep(100);
          probe++;
        }
        for (int i = 0; i < 20; i++) {
          refusals.add(probe(server, token));
        }
        RunningServer.Raw other = server.raw("GET", "/v1/whoami", token, null);

        assertThat(refusals)
            .allSatisfy(
                r -> assertThat(r).startsWith("429").contains("\"code\":\"too_many_requests\""));
        assertThat(other.status()).isEqualTo(200);
      } finally {
        for (Socket s : held) {
          s.close();
        }
      }
      String after = probe(server, token);
      for (int i = 0; i < 100 && !after.startsWith("200"); i++) {
        Thread.sleep(100);
        after = probe(server, token);
      }
      assertThat(after).as("the slots are given back").startsWith("200");
      var records =
          server
              .client()
              .audit(
                  Optional.empty(),
                  Optional.empty(),
                  Optional.of(ClientLimit.ACTION),
                  Optional.empty())
              .records();
      assertThat(records).hasSize(1);
      assertThat(records.get(0).client()).isEqualTo(ATTACKER);
    }
  }

  @Test
  void bodyTrickledBelowTheMinimumRate_isCutOffBeforeItEnds() throws Exception {
    try (RunningServer server = start(HttpLimits.DEFAULT)) {
      try (Socket s = open(server, slowPut(server.rootToken()))) {
        int sent = 0;

        while (sent < 40 && !ended(s) && trickle(s, ' ')) {
          sent++;
          Thread.sleep(250);
        }

        assertThat(sent).as("cut off long before the 200-byte body was sent").isLessThan(40);
      }
      assertThat(server.raw("GET", "/v1/secrets/slow/K", server.rootToken(), null).status())
          .as("nothing was stored")
          .isEqualTo(404);
    }
  }

  @Test
  void headersTrickledByteByByte_areCutOffAtTheHeaderTimeout() throws Exception {
    HttpLimits limits = new HttpLimits(32, Duration.ofSeconds(1), Duration.ofSeconds(30), 1024);
    try (RunningServer server = start(limits)) {
      try (Socket s = open(server, "GET /v1/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n")) {
        int sent = 0;

        while (sent < 40 && !ended(s) && trickle(s, 'x')) {
          sent++;
          Thread.sleep(250);
        }

        assertThat(sent).as("the connection was closed while its headers trickled").isLessThan(40);
      }
      assertThat(server.raw("GET", "/v1/health", null, null).status()).isEqualTo(200);
    }
  }
}
