package dev.keyturn.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.DatabaseSecret;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import dev.keyturn.testing.ScratchRedis;
import dev.keyturn.testing.TestServices;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The redis target against the machine's Redis (which has neither an ACL file nor a config file, so
 * most tests say {@code persist=none}) and a throw-away redis-server with an ACL file for restarts.
 * Logins are checked with {@code redis-cli}, and each test first shows that Redis refuses a wrong
 * password.
 */
class RedisTargetTest {
  private RotationHarness h;
  private int port;
  private String user;

  @BeforeEach
  void createUser() throws IOException {
    port = TestServices.redisPort();
    user = "kt_app_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    use(port, user);
  }

  private void use(int redisPort, String username) throws IOException {
    port = redisPort;
    user = username;
    assertThat(cli("ACL", "SETUSER", user, "reset", "on", ">initial-password", "~*", "+@all"))
        .isEqualTo("OK");
    assertThat(logsIn("wrong-password")).as("Redis refuses a wrong password").isFalse();
    assertThat(logsIn("initial-password")).isTrue();
    h = new RotationHarness(RedisTarget.TYPE, new RedisTarget());
    h.put(RotationHarness.APP, secret(user, "initial-password"));
    h.put(RotationHarness.ADMIN, secret("default", ""));
  }

  @AfterEach
  void deleteUser() throws IOException {
    if (user != null) {
      cli("ACL", "DELUSER", user);
    }
  }

  private DatabaseSecret secret(String username, String password) {
    return DatabaseSecret.parse(
        ("{\"engine\":\"redis\",\"host\":\"127.0.0.1\",\"port\":"
                + port
                + ",\"username\":\""
                + username
                + "\",\"password\":\""
                + password
                + "\"}")
            .getBytes(StandardCharsets.UTF_8));
  }

  private String cli(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
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

  private boolean logsIn(String password) {
    try {
      String reply = cli("--no-auth-warning", "AUTH", user, password);
      assertThat(reply).isIn("OK", "WRONGPASS invalid username-password pair or user is disabled.");
      return reply.equals("OK");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private boolean logsIn(DatabaseSecret s) {
    return s.username().equals(user) && logsIn(s.password());
  }

  private int passwordCount() throws IOException {
    String acl = cli("ACL", "GETUSER", user);
    String[] lines = acl.split("\n");
    int count = 0;
    boolean inPasswords = false;
    for (String line : lines) {
      if (line.equals("passwords")) {
        inPasswords = true;
      } else if (line.equals("commands")) {
        inPasswords = false;
      } else if (inPasswords && line.matches("[0-9a-f]{64}")) {
        count++;
      }
    }
    return count;
  }

  @Test
  void overlap_addsTheNewPassword_andRemovesTheOldOneWhenTheGraceEnds() throws IOException {
    h.rule(Strategy.OVERLAP, Duration.ofHours(1), Map.of("persist", "none"));

    Rotation r = h.rotate(false);

    assertThat(r.state()).as("%s", r.reason()).isEqualTo(RotationState.FINISHED);
    assertThat(logsIn(h.current())).isTrue();
    assertThat(logsIn("initial-password")).as("overlap on one user").isTrue();
    assertThat(passwordCount()).isEqualTo(2);

    h.clock.advance(Duration.ofMinutes(59));
    h.engine().retireExpired(RotationHarness.APP);
    assertThat(logsIn("initial-password")).isTrue();

    h.clock.advance(Duration.ofMinutes(1));
    h.engine().retireExpired(RotationHarness.APP);
    assertThat(logsIn("initial-password")).isFalse();
    assertThat(logsIn(h.current())).isTrue();
    assertThat(passwordCount()).isEqualTo(1);
    assertThat(h.stages()).containsExactly(Stage.RETIRED, Stage.CURRENT);
  }

  @Test
  void emergency_removesTheOldPasswordAtOnce_whateverTheGrace() throws IOException {
    h.rule(Strategy.OVERLAP, Duration.ofHours(24), Map.of("persist", "none"));

    assertThat(h.rotate(true).state()).isEqualTo(RotationState.FINISHED);

    assertThat(logsIn("initial-password")).isFalse();
    assertThat(logsIn(h.current())).isTrue();
    assertThat(h.stages()).containsExactly(Stage.RETIRED, Stage.CURRENT);
  }

  @Test
  void singleUser_removesTheOldPasswordAtFinish() throws IOException {
    h.rule(Strategy.SINGLE_USER, Duration.ofHours(1), Map.of("persist", "none"));

    assertThat(h.rotate(false).state()).isEqualTo(RotationState.FINISHED);

    assertThat(logsIn(h.current())).isTrue();
    assertThat(logsIn("initial-password")).isFalse();
    assertThat(passwordCount()).isEqualTo(1);
  }

  @Test
  void aRedisThatCannotPersistTheAcl_failsTheRotation_andRollsTheNewPasswordBack()
      throws IOException {
    h.rule(Strategy.OVERLAP, Duration.ofHours(1), Map.of());

    Rotation r = h.rotate(false);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow())
        .contains("cannot persist the ACL change")
        .contains("persist=none");
    assertThat(passwordCount()).isEqualTo(1);
    assertThat(logsIn("initial-password")).isTrue();
    assertThat(h.stages()).containsExactly(Stage.CURRENT, Stage.RETIRED);
  }

  @Test
  void aclChanges_surviveARestart_whenRedisHasAnAclFile() throws IOException {
    try (ScratchRedis redis = ScratchRedis.start()) {
      use(redis.port(), "kt_app");
      h.rule(Strategy.OVERLAP, Duration.ofHours(1), Map.of());
      assertThat(h.engine().setup(RotationHarness.APP))
          .contains("checked: ACL changes are persisted with ACL SAVE");

      assertThat(h.rotate(false).state()).isEqualTo(RotationState.FINISHED);
      redis.restart();
      assertThat(logsIn(h.current())).isTrue();
      assertThat(logsIn("initial-password")).isTrue();

      h.clock.advance(Duration.ofHours(1));
      h.engine().retireExpired(RotationHarness.APP);
      redis.restart();
      assertThat(logsIn("initial-password")).as("the restart did not bring it back").isFalse();
      assertThat(logsIn(h.current())).isTrue();
      user = null;
    }
  }

  @Test
  void setup_refusesAUserThatAcceptsAnyPassword() throws IOException {
    cli("ACL", "SETUSER", user, "nopass");
    h.rule(Strategy.OVERLAP, Duration.ofHours(1), Map.of("persist", "none"));

    assertThatThrownBy(() -> h.engine().setup(RotationHarness.APP))
        .isInstanceOf(KeyturnException.Conflict.class)
        .hasMessageContaining("accepted a wrong password for " + user);
  }

  @Test
  void aPasswordChangedOutsideKeyturn_failsLoudly_andMakesNoThirdPassword() throws IOException {
    h.rule(Strategy.OVERLAP, Duration.ofHours(1), Map.of("persist", "none"));
    cli("ACL", "SETUSER", user, "resetpass", ">changed-by-hand");

    Rotation r = h.rotate(false);

    assertThat(r.state()).isEqualTo(RotationState.FAILED);
    assertThat(r.reason().orElseThrow())
        .contains("neither the pending nor the current password of " + user + " logs in");
    assertThat(logsIn("changed-by-hand")).isTrue();
    assertThat(passwordCount()).isEqualTo(1);
  }

  @Test
  void crashAtEveryStep_someStoredVersionAlwaysLogsIn() throws IOException {
    h.rule(Strategy.SINGLE_USER, Duration.ZERO, Map.of("persist", "none"));
    int singleUserKills = h.crashAtEveryStep(false, this::logsIn);

    h.rule(Strategy.OVERLAP, Duration.ofHours(1), Map.of("persist", "none"));
    int overlapKills = h.crashAtEveryStep(false, this::logsIn);

    assertThat(singleUserKills).isGreaterThanOrEqualTo(6);
    assertThat(overlapKills).isGreaterThanOrEqualTo(5);
    // Every version still valid logs in; none retired does.
    assertThat(h.live()).allMatch(this::logsIn);
    assertThat(logsIn(h.read(Selector.version(1)))).isFalse();
  }

  @Test
  void scopedAdminsRule_atALoopbackServer_isRefusedBeforeAnythingIsSent() throws IOException {
    try (AttackerServer fake = AttackerServer.silent()) {
      h.globalAdmin = false;
      h.rule(
          Strategy.OVERLAP,
          Duration.ofHours(1),
          Map.of("persist", "none", "host", "127.0.0.5", "port", Integer.toString(fake.port())));

      Rotation r = h.rotate(false);

      assertThat(fake.connections()).as("connections that reached the server").isZero();
      DatabaseTargetContract.assertRefusedByTheOutboundList(r);
    }
  }

  @Test
  void scopedAdminsRule_atANameThatResolvesToLoopback_isRefused() throws IOException {
    try (AttackerServer fake = AttackerServer.silentEverywhere()) {
      h.globalAdmin = false;
      h.host = new HostPolicy(List.of(), List.of(), Outbound.of(List.of("127.0.0.5"), true));
      h.rule(
          Strategy.OVERLAP,
          Duration.ofHours(1),
          Map.of("persist", "none", "host", "localhost", "port", Integer.toString(fake.port())));

      Rotation r = h.rotate(false);

      assertThat(fake.connections()).as("connections that reached the server").isZero();
      DatabaseTargetContract.assertRefusedByTheOutboundList(r);
    }
  }

  @Test
  void scopedAdminsRule_atTheRealServer_worksOnceTheOperatorAllowsItsAddress() throws IOException {
    h.globalAdmin = false;
    h.rule(Strategy.OVERLAP, Duration.ofHours(1), Map.of("persist", "none"));

    Rotation refused = h.rotate(false);

    DatabaseTargetContract.assertRefusedByTheOutboundList(refused);
    assertThat(passwordCount()).as("nothing changed").isEqualTo(1);

    h.host = new HostPolicy(List.of(), List.of(), Outbound.of(List.of("127.0.0.1"), false));
    Rotation allowed = h.rotate(false);

    assertThat(allowed.state()).as("%s", allowed.reason()).isEqualTo(RotationState.FINISHED);
    assertThat(logsIn(h.current())).isTrue();
  }

  @Test
  void globalAdminsRule_atTheRealServer_needsNoOutboundList() throws IOException {
    h.globalAdmin = false;
    h.rule(Strategy.OVERLAP, Duration.ofHours(1), Map.of("persist", "none"));
    DatabaseTargetContract.assertRefusedByTheOutboundList(h.rotate(false));
    h.globalAdmin = true;
    h.rule(Strategy.OVERLAP, Duration.ofHours(1), Map.of("persist", "none"));

    Rotation r = h.rotate(false);

    assertThat(h.host.outbound().isUnrestricted()).isFalse();
    assertThat(r.state()).as("%s", r.reason()).isEqualTo(RotationState.FINISHED);
    assertThat(logsIn(h.current())).isTrue();
  }
}
