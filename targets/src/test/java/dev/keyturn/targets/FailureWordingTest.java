package dev.keyturn.targets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.Generator;
import dev.keyturn.core.HookSpec;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import dev.keyturn.testing.FixedClock;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checklist lines of failed connections, for every target type that connects (postgresql, mariadb,
 * redis, smtp, webhook) and every way a connection fails (refused, timed out, unknown host, TLS
 * handshake): plain words, never a Java exception's name, and a refused port reads the same as one
 * that never answers ({@code cannot reach}), so that checklists do not map a network.
 */
class FailureWordingTest {
  private static final Pattern JAVA_NAME = Pattern.compile("[A-Z][a-zA-Z]+(Exception|Error)");

  enum Failure {
    REFUSED,
    TIMEOUT,
    UNKNOWN_HOST,
    TLS
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String type : List.of("postgresql", "mariadb", "redis", "smtp", "webhook")) {
      for (Failure f : Failure.values()) {
        out.add(Arguments.of(type, f));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void failedConnection_saysPlainWords_neverAnExceptionName(String type, Failure failure)
      throws IOException {
    try (Listener listener = Listener.of(failure, type)) {
      String host = failure == Failure.UNKNOWN_HOST ? "no-such-host.invalid" : "127.0.0.1";
      boolean tls = failure == Failure.TLS;

      List<String> lines =
          switch (type) {
            case "smtp", "webhook" -> List.of(direct(type, host, listener.port(), tls));
            default -> rotation(type, host, listener.port(), tls);
          };

      assertThat(lines).isNotEmpty();
      for (String line : lines) {
        assertThat(line).as("a checklist line").doesNotContainPattern(JAVA_NAME);
      }
      String all = String.join("\n", lines);
      switch (failure) {
        case REFUSED, TIMEOUT ->
            assertThat(all)
                .as("refused and silent ports read alike")
                .containsAnyOf("cannot reach", "no answer")
                .doesNotContain("refused")
                .doesNotContain("timed out");
        case UNKNOWN_HOST -> assertThat(all).contains("host not found");
        case TLS -> assertThat(all).contains("TLS handshake failed");
      }
    }
  }

  /** The checklist and reason of a rotation of a database secret at {@code host:port}. */
  private static List<String> rotation(String type, String host, int port, boolean tls) {
    Target target =
        switch (type) {
          case "postgresql" -> new PostgresTarget();
          case "mariadb" -> new MariaDbTarget();
          default -> new RedisTarget();
        };
    RotationHarness h = new RotationHarness(type, target);
    String engine = type.equals("mariadb") ? "mysql" : type;
    h.put(RotationHarness.APP, secret(engine, host, port, "kt_app", "app-password"));
    h.put(RotationHarness.ADMIN, secret(engine, host, port, "kt_admin", "admin-password"));
    Map<String, String> settings = new HashMap<>();
    settings.put("tls", tls ? "verify-full" : "disable");
    // TLS: time for the first handshake's set-up on a loaded machine (5 s was seen to expire
    // under a load of 10 on two cores, reading "cannot reach"). Some TLS cases wait out the
    // timeout before the handshake fails, so it is not made longer still. Others fail at once.
    settings.put("timeout-seconds", tls ? "15" : "1");
    if (type.equals("redis")) {
      settings.put("persist", "none");
    }
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, settings);

    Rotation r = h.rotate(false);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    List<String> lines = new ArrayList<>();
    r.checklist().forEach(c -> lines.add(c.message()));
    r.reason().ifPresent(lines::add);
    return lines;
  }

  private static DatabaseSecret secret(
      String engine, String host, int port, String user, String password) {
    return DatabaseSecret.parse(
        ("{\"engine\":\""
                + engine
                + "\",\"host\":\""
                + host
                + "\",\"port\":"
                + port
                + ",\"dbname\":\"app\",\"username\":\""
                + user
                + "\",\"password\":\""
                + password
                + "\"}")
            .getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A scoped admin's rule is refused at set time when its host is off the operator's list; the
   * check at connect time is what stops a name that resolves elsewhere later. Here the rule reaches
   * the step (as such a name would) and nothing reaches the listener.
   */
  @org.junit.jupiter.api.Test
  void webhookSmtpAndHttpHook_offTheOperatorsList_areRefusedAtConnect_andNothingArrives()
      throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.5"))) {
      listener.setSoTimeout(200);
      int port = listener.getLocalPort();
      for (String type : List.of("smtp", "webhook")) {
        assertThat(direct(type, "127.0.0.5", port, false, Outbound.publicOnly()))
            .as(type)
            .contains(Outbound.REFUSED);
      }
      HookSpec hook =
          new HookSpec(
              HookSpec.Phase.AFTER_SET,
              "http",
              true,
              Map.of("url", "http://localhost:" + port + "/reload", "method", "GET"));
      Throwable thrown =
          org.assertj.core.api.Assertions.catchThrowable(() ->
              new HttpHook(new FixedClock(Instant.EPOCH))
                  .run(hook, null, null, n -> null, Outbound.publicOnly()));
      assertThat(thrown).hasMessageContaining(Outbound.REFUSED);
      assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> listener.accept().close()))
          .as("a connection reached the listener")
          .isInstanceOf(java.net.SocketTimeoutException.class);
    }
  }

  /** The message a smtp or webhook target's step fails with (what the checklist shows). */
  private static String direct(String type, String host, int port, boolean tls) {
    return direct(type, host, port, tls, Outbound.unrestricted());
  }

  private static String direct(String type, String host, int port, boolean tls, Outbound outbound) {
    SecretName name = SecretName.of("app/VALUE");
    Map<String, String> settings =
        type.equals("smtp")
            ? Map.of(
                "host",
                host,
                "port",
                Integer.toString(port),
                "username",
                "mailer",
                "security",
                tls ? "tls" : "none",
                "timeout-seconds",
                "1")
            : Map.of(
                "url",
                (tls ? "https://" : "http://") + host + ":" + port + "/hook",
                "signing-secret",
                "app/SIGNING");
    RotationRule rule =
        new RotationRule(
            name,
            Generator.parse("manual"),
            Optional.empty(),
            Duration.ZERO,
            Strategy.MANUAL,
            Duration.ZERO,
            type,
            settings,
            "",
            "",
            "",
            1,
            Duration.ZERO,
            List.of(),
            Optional.empty(),
            false,
            true);
    Rotation rotation =
        Rotation.builder()
            .id("rot_0000000000000003")
            .secret(name)
            .state(RotationState.SET)
            .startedAt(Instant.EPOCH)
            .pendingVersion(Optional.of(2))
            .requestedBy("tok")
            .build();
    SecretValue pending =
        new SecretValue(
            name,
            new Version(
                2, Stage.PENDING, ValueType.STRING, Instant.EPOCH, "t", Optional.empty(), "f"),
            Plaintext.ofUtf8("the-new-value"));
    TargetContext context =
        new TargetContext(
            rule,
            rotation,
            pending,
            Optional.empty(),
            n ->
                new SecretValue(
                    n,
                    new Version(
                        1,
                        Stage.CURRENT,
                        ValueType.STRING,
                        Instant.EPOCH,
                        "t",
                        Optional.empty(),
                        "f"),
                    Plaintext.ofUtf8("a-signing-key-of-some-length")),
            p -> {},
            outbound);
    Target target =
        type.equals("smtp") ? new SmtpTarget() : new WebhookTarget(new FixedClock(Instant.EPOCH));
    Throwable thrown =
        org.assertj.core.api.Assertions.catchThrowable(() -> {
          if (type.equals("smtp")) {
            target.test(context);
          } else {
            target.set(context);
          }
        });
    assertThat(thrown).isNotNull();
    return thrown.getMessage();
  }

  /**
   * What listens on the port a case connects to: nothing (refused), a server that accepts and never
   * answers (timed out), or one that answers a TLS client with bytes that are not TLS (after the
   * PostgreSQL "S" that invites TLS, or a MariaDB greeting that offers it).
   */
  private static final class Listener implements AutoCloseable {
    private final ServerSocket socket;
    private final int port;

    private Listener(ServerSocket socket, int port) {
      this.socket = socket;
      this.port = port;
    }

    static Listener of(Failure failure, String type) throws IOException {
      if (failure == Failure.REFUSED || failure == Failure.UNKNOWN_HOST) {
        int free;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          free = s.getLocalPort();
        }
        return new Listener(null, free);
      }
      ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread.ofVirtual()
          .start(() -> {
            List<Socket> held = new ArrayList<>();
            while (!s.isClosed()) {
              try {
                Socket c = s.accept();
                held.add(c);
                if (failure == Failure.TLS) {
                  Thread.ofVirtual()
                      .start(() -> {
                        try {
                          answerNotTls(c, type);
                        } catch (IOException e) {
                          // the client gave up
                        }
                      });
                }
              } catch (IOException e) {
                // the test closed the server
              }
            }
            for (Socket c : held) {
              try {
                c.close();
              } catch (IOException e) {
                // closing
              }
            }
          });
      return new Listener(s, s.getLocalPort());
    }

    private static void answerNotTls(Socket c, String type) throws IOException {
      OutputStream out = c.getOutputStream();
      if (type.equals("postgresql")) {
        c.getInputStream().readNBytes(8); // SSLRequest
        out.write('S');
        out.flush();
        // Answer the ClientHello, not before it: bytes that arrive with the 'S' are refused by
        // pgjdbc as a protocol error (buffered data before TLS), which reads "cannot reach", and
        // whether they arrive together depends on the machine's load.
        c.getInputStream().readNBytes(5);
      } else if (type.equals("mariadb")) {
        out.write(mariaDbGreeting());
        out.flush();
        InputStream in = c.getInputStream();
        byte[] header = in.readNBytes(4); // the client's SSL request
        in.readNBytes((header[0] & 0xff) | (header[1] & 0xff) << 8 | (header[2] & 0xff) << 16);
      }
      out.write("HTTP/1.0 400 not TLS\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }

    /** A protocol-10 greeting that offers TLS (CLIENT_SSL) and asks for a hashed password. */
    private static byte[] mariaDbGreeting() {
      java.io.ByteArrayOutputStream p = new java.io.ByteArrayOutputStream();
      p.write(10);
      p.writeBytes("5.5.5-10.11.0-MariaDB\0".getBytes(StandardCharsets.US_ASCII));
      p.writeBytes(new byte[] {1, 0, 0, 0}); // connection id
      p.writeBytes("abcdefgh".getBytes(StandardCharsets.US_ASCII));
      p.write(0);
      int caps = 0x0001 | 0x0200 | 0x0800 | 0x8000 | 0x80000 | 0x200000;
      p.write(caps & 0xff);
      p.write((caps >> 8) & 0xff);
      p.write(33); // utf8
      p.writeBytes(new byte[] {2, 0}); // status
      p.write((caps >> 16) & 0xff);
      p.write((caps >> 24) & 0xff);
      p.write(21); // auth data length
      p.writeBytes(new byte[6]);
      p.writeBytes(new byte[4]); // MariaDB capabilities
      p.writeBytes("ijklmnopqrst\0".getBytes(StandardCharsets.US_ASCII));
      p.writeBytes("mysql_native_password\0".getBytes(StandardCharsets.US_ASCII));
      byte[] payload = p.toByteArray();
      byte[] packet = new byte[payload.length + 4];
      packet[0] = (byte) payload.length;
      packet[1] = (byte) (payload.length >> 8);
      packet[2] = (byte) (payload.length >> 16);
      packet[3] = 0;
      System.arraycopy(payload, 0, packet, 4, payload.length);
      return packet;
    }

    int port() {
      return port;
    }

    @Override
    public void close() throws IOException {
      if (socket != null) {
        socket.close();
      }
    }
  }
}
