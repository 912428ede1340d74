package dev.keyturn.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Strategy;
import dev.keyturn.testing.ScratchRedis;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The redis target over TLS ({@code rediss://}) against a {@code redis-server} that listens only on
 * a TLS port, with a certificate for 127.0.0.1 signed by a CA this test makes: a rotation works
 * with that CA pinned in the rule, and is refused with another CA or another name for the server.
 */
class RedisTlsTest {
  private static ScratchRedis redis;
  private RotationHarness h;
  private final String user = "kt_tls_app";

  @BeforeAll
  static void startRedis() {
    redis = ScratchRedis.startTls();
  }

  @AfterAll
  static void stopRedis() {
    if (redis != null) {
      redis.close();
    }
  }

  @BeforeEach
  void createUser() throws IOException {
    assertThat(cli("ACL", "SETUSER", user, "reset", "on", ">initial-password", "~*", "+@all"))
        .isEqualTo("OK");
    // The operator declares the CA files rules may name (tls-ca-files: in the configuration file).
    h =
        new RotationHarness(
            RedisTarget.TYPE,
            new RedisTarget(
                new HostPolicy(
                    List.of(),
                    List.of(),
                    List.of(redis.caFile(), redis.otherCaFile()),
                    Outbound.publicOnly())));
    h.put(RotationHarness.APP, secret(user, "initial-password"));
    h.put(RotationHarness.ADMIN, secret("default", ""));
  }

  private DatabaseSecret secret(String username, String password) {
    return DatabaseSecret.parse(
        ("{\"engine\":\"redis\",\"host\":\"127.0.0.1\",\"port\":"
                + redis.port()
                + ",\"username\":\""
                + username
                + "\",\"password\":\""
                + password
                + "\"}")
            .getBytes(StandardCharsets.UTF_8));
  }

  private String cli(String... args) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "redis-cli",
                "--tls",
                "--cacert",
                redis.caFile().toString(),
                "-h",
                "127.0.0.1",
                "-p",
                Integer.toString(redis.port())));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      p.waitFor();
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private boolean logsIn(String password) throws IOException {
    return cli("--no-auth-warning", "AUTH", user, password).equals("OK");
  }

  @Test
  void rotation_overTlsWithThePinnedCa_setsAndTestsThePassword() throws IOException {
    h.rule(
        Strategy.SINGLE_USER,
        Duration.ZERO,
        Map.of("tls", "verify-full", "tls-ca", redis.caFile().toString(), "persist", "acl-save"));

    Rotation r = h.rotate(false);

    assertThat(r.state()).as("%s", r.reason()).isEqualTo(RotationState.FINISHED);
    assertThat(logsIn(h.current().password())).isTrue();
    assertThat(logsIn("initial-password")).isFalse();
  }

  @Test
  void aServerWhoseCertificateTheCaDidNotSign_isRefused_andNothingChanges() throws IOException {
    h.rule(
        Strategy.SINGLE_USER,
        Duration.ZERO,
        Map.of("tls", "verify-full", "tls-ca", redis.otherCaFile().toString(), "persist", "none"));

    assertThatThrownBy(() -> h.engine().setup(RotationHarness.APP))
        .hasMessageContaining(
            "cannot reach redis at 127.0.0.1:" + redis.port() + " (TLS handshake failed)")
        .satisfies(e ->
            assertThat(e.getMessage()).doesNotContainPattern("[A-Z][a-zA-Z]+(Exception|Error)"));
    Rotation r = h.rotate(false);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(logsIn("initial-password")).isTrue();
  }

  @Test
  void aNameTheCertificateDoesNotHold_isRefused() throws IOException {
    h.rule(
        Strategy.SINGLE_USER,
        Duration.ZERO,
        Map.of(
            "host",
            "localhost",
            "tls",
            "verify-full",
            "tls-ca",
            redis.caFile().toString(),
            "persist",
            "none"));

    assertThatThrownBy(() -> h.engine().setup(RotationHarness.APP))
        .hasMessageContaining(
            "cannot reach redis at localhost:" + redis.port() + " (TLS handshake failed)");
    assertThat(logsIn("initial-password")).isTrue();
  }

  @Test
  void aPlainConnection_doesNotReachATlsOnlyServer() {
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of("tls", "disable", "persist", "none"));

    assertThatThrownBy(() -> h.engine().setup(RotationHarness.APP))
        .hasMessageContaining("redis at 127.0.0.1:" + redis.port());
  }

  @Test
  void scopedAdminsRule_overTls_isRefusedUntilTheOperatorAllowsTheAddress() throws IOException {
    h.globalAdmin = false;
    h.rule(
        Strategy.SINGLE_USER,
        Duration.ZERO,
        Map.of("tls", "verify-full", "tls-ca", redis.caFile().toString(), "persist", "acl-save"));

    Rotation refused = h.rotate(false);

    DatabaseTargetContract.assertRefusedByTheOutboundList(refused);
    assertThat(logsIn("initial-password")).isTrue();

    h.host = new HostPolicy(List.of(), List.of(), Outbound.of(List.of("127.0.0.1"), false));
    Rotation allowed = h.rotate(false);

    assertThat(allowed.state()).as("%s", allowed.reason()).isEqualTo(RotationState.FINISHED);
    assertThat(logsIn(h.current().password())).isTrue();
    assertThat(logsIn("initial-password")).isFalse();
  }
}
