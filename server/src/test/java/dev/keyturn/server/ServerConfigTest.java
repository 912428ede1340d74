package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ServerConfigTest {
  private static final Path DIR = Path.of("/tmp/kt-config-test");
  private static final ServerFlags NONE =
      new ServerFlags(null, null, null, null, null, false, null, null, null, null, null, null);

  @Test
  void resolve_defaults() {
    ServerConfig c = ServerFlags.resolve(flags(DIR, null), new Settings(Map.of()));

    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(8270);
    assertThat(c.storeUrl()).isEqualTo("jdbc:sqlite:" + DIR.resolve("keyturn.db"));
    assertThat(c.tls()).isEmpty();
    assertThat(c.authFailureLimit()).isEqualTo(10);
    assertThat(c.authLockout()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void resolve_flagBeatsEnvironmentAndPasswordsAreMasked() {
    Settings env =
        new Settings(
            Map.of(
                "KEYTURN_LISTEN", "127.0.0.2:9000",
                "KEYTURN_STORE", "jdbc:postgresql://db/k?user=u&password=hunter2"));

    ServerConfig fromEnv = ServerFlags.resolve(NONE, env);
    ServerConfig fromFlag = ServerFlags.resolve(flags(DIR, "127.0.0.1:1234"), env);

    assertThat(fromEnv.port()).isEqualTo(9000);
    assertThat(fromEnv.toString()).doesNotContain("hunter2").contains("password=***");
    assertThat(fromFlag.port()).isEqualTo(1234);
  }

  @Test
  void resolve_nonLoopbackWithoutTls_isRefusedUnlessInsecureHttp() {
    Settings env = new Settings(Map.of());

    assertThatThrownBy(() -> ServerFlags.resolve(flags(DIR, "0.0.0.0:8270"), env))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("without TLS")
        .hasMessageContaining("--insecure-http");
    ServerConfig insecure =
        ServerFlags.resolve(
            new ServerFlags(
                DIR, "0.0.0.0:8270", null, null, null, true, null, null, null, null, null, null),
            env);
    ServerConfig tls =
        ServerFlags.resolve(
            new ServerFlags(
                DIR,
                "0.0.0.0:8270",
                null,
                Path.of("c.pem"),
                Path.of("k.pem"),
                false,
                null,
                null,
                null,
                null,
                null,
                null),
            env);

    assertThat(insecure.host()).isEqualTo("0.0.0.0");
    assertThat(tls.tls()).isPresent();
    assertThat(ServerFlags.resolve(flags(DIR, "[::1]:8270"), env).host()).isEqualTo("::1");
    assertThat(ServerFlags.resolve(flags(DIR, "localhost:8270"), env).host())
        .isEqualTo("localhost");
  }

  @Test
  void resolve_badValues_areRefused() {
    Settings env = new Settings(Map.of());

    assertThatThrownBy(() -> ServerFlags.resolve(flags(DIR, "nope"), env))
        .hasMessageContaining("HOST:PORT");
    assertThatThrownBy(() -> ServerFlags.resolve(flags(DIR, "127.0.0.1:99999"), env))
        .hasMessageContaining("out of range");
    assertThatThrownBy(() ->
            ServerFlags.resolve(
                new ServerFlags(
                    DIR,
                    null,
                    null,
                    Path.of("c.pem"),
                    null,
                    false,
                    null,
                    null,
                    null,
                    null,
                    null,
                    null),
                env))
        .hasMessageContaining("go together");
    assertThatThrownBy(() ->
            ServerFlags.resolve(
                new ServerFlags(
                    DIR, null, null, null, null, false, null, 0, null, null, null, null),
                env))
        .hasMessageContaining("at least 1");
  }

  @Test
  void resolve_trustProxy_takesCidrListsFromFlagOrEnvironmentAndRefusesBadOnes() {
    Settings env = new Settings(Map.of("KEYTURN_TRUST_PROXY", "10.0.0.0/8, fd00::/8"));

    ServerConfig fromEnv = ServerFlags.resolve(NONE, env);
    ServerConfig none = ServerFlags.resolve(NONE, new Settings(Map.of()));

    assertThat(fromEnv.trustProxy()).containsExactly("10.0.0.0/8, fd00::/8");
    assertThat(none.trustProxy()).isEmpty();
    for (String bad :
        new String[] {
          "10.0.0.1/8", "10.0.0.0/33", "proxy.example.com", "", "10.0.0.0/8,", "::1/129"
        }) {
      assertThatThrownBy(() ->
              ServerConfig.local(DIR, "127.0.0.1", 0, "jdbc:sqlite:x", java.util.Optional.empty())
                  .toBuilder()
                  .trustProxy(bad)
                  .build())
          .as(bad)
          .isInstanceOf(KeyturnException.InvalidInput.class)
          .hasMessageContaining("--trust-proxy");
    }
  }

  @Test
  void httpLimits_defaultsAndBadValues_areRefusedNamingTheOption() {
    HttpLimits limits = HttpLimits.of(4, "2s", "1m", 10L);

    assertThat(HttpLimits.of(null, null, null, null)).isEqualTo(HttpLimits.DEFAULT);
    assertThat(limits.maxRequestsPerClient()).isEqualTo(4);
    assertThat(limits.headerTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(limits.idleTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(limits.minRequestRate()).isEqualTo(10);
    assertThatThrownBy(() -> HttpLimits.of(0, null, null, null))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("--max-requests-per-client");
    assertThatThrownBy(() -> HttpLimits.of(null, "0", null, null))
        .hasMessageContaining("--header-timeout");
    assertThatThrownBy(() -> HttpLimits.of(null, "soon", null, null))
        .hasMessageContaining("--header-timeout");
    assertThatThrownBy(() -> HttpLimits.of(null, null, "2h", null))
        .hasMessageContaining("--idle-timeout");
    assertThatThrownBy(() -> HttpLimits.of(null, null, null, 0L))
        .hasMessageContaining("--min-request-rate");
  }

  @Test
  void toBuilder_everySettingChanged_buildsAnEqualConfigAndChangesOnlyWhatIsSet() {
    HostPolicy policy = new HostPolicy(List.of(), List.of(), Outbound.publicOnly());
    ServerConfig all =
        ServerConfig.builder()
            .dataDir(DIR)
            .host("127.0.0.2")
            .port(9443)
            .storeUrl("jdbc:postgresql://db/k")
            .rootKey(Optional.of("a2V5"))
            .tls(new ServerConfig.Tls(Path.of("c.pem"), Path.of("k.pem")))
            .trustProxy("10.0.0.0/8")
            .authThrottle(3, Duration.ofMinutes(5))
            .notifyUrl("https://hooks.example/k", Optional.of("ops/SIGNING_KEY"))
            .limits(HttpLimits.of(4, "2s", "1m", 10L))
            .hostPolicy(policy)
            .build();

    ServerConfig copy = all.toBuilder().build();
    ServerConfig moved = all.toBuilder().port(9444).build();

    assertThat(copy).isEqualTo(all);
    assertThat(moved.port()).isEqualTo(9444);
    assertThat(moved.toBuilder().port(9443).build()).isEqualTo(all);
    assertThat(all.trustProxy()).containsExactly("10.0.0.0/8");
    assertThat(all.authFailureLimit()).isEqualTo(3);
    assertThat(all.notifySigningSecret()).contains("ops/SIGNING_KEY");
    assertThat(all.hostPolicy()).isSameAs(policy);
  }

  @Test
  void builder_withoutRequiredSettings_namesWhatIsMissingAndDefaultsTheRest() {
    ServerConfig minimal =
        ServerConfig.builder().dataDir(DIR).host("127.0.0.1").storeUrl("jdbc:sqlite:x").build();

    assertThatThrownBy(() -> ServerConfig.builder().host("127.0.0.1").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("a server configuration needs dataDir, storeUrl");
    assertThat(minimal.port()).isZero();
    assertThat(minimal.rootKey()).isEmpty();
    assertThat(minimal.trustProxy()).isEmpty();
    assertThat(minimal.authFailureLimit()).isEqualTo(10);
    assertThat(minimal.authLockout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(minimal.limits()).isEqualTo(HttpLimits.DEFAULT);
    assertThat(minimal.notifyUrl()).isEmpty();
    assertThat(minimal.tls()).isEmpty();
  }

  private static ServerFlags flags(Path data, String listen) {
    return new ServerFlags(
        data, listen, null, null, null, false, null, null, null, null, null, null);
  }
}
