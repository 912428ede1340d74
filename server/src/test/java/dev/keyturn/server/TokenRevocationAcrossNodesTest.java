package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.TestServices;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one PostgreSQL store: a revocation on one reaches the other's cached tokens, the
 * revoked token's descendants included, within the cache time (issue 10 item 2).
 */
class TokenRevocationAcrossNodesTest {
  @TempDir Path dir;

  @Test
  void revokeOnOneNode_endsTheLineageOnTheOtherWithinTheCacheTime() throws Exception {
    String base = TestServices.postgresUrl();
    String schema = "kt_nodes_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute(base, "CREATE SCHEMA " + schema);
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    Optional<String> key = Optional.of(RootKey.generate(new SecureRandom()).toBase64Line().strip());
    try (RunningServer a = start(dir.resolve("a"), url, key);
        RunningServer b = start(dir.resolve("b"), url, key)) {
      TokenCreated parent = create(a, a.rootToken(), "admin:app/*");
      TokenCreated child = create(a, parent.token(), "read:app/*");
      assertThat(whoami(b, child.token())).isEqualTo(200);
      assertThat(whoami(b, parent.token())).isEqualTo(200);

      a.client().revokeToken(parent.id());

      assertThat(whoami(a, child.token())).as("at once on the revoking node").isEqualTo(401);
      Eventually.waitFor(
          Authenticator.CACHE_TTL.plus(Duration.ofSeconds(10)),
          () -> whoami(b, child.token()) == 401 && whoami(b, parent.token()) == 401);
    } finally {
      execute(base, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  private static RunningServer start(Path data, String url, Optional<String> key) {
    return RunningServer.start(
        ServerConfig.local(data, "127.0.0.1", 0, url, key), Clock.systemUTC());
  }

  private static TokenCreated create(RunningServer server, String as, String grant) {
    return server.client(as).createToken(new TokenCreateRequest("t", List.of(grant), null));
  }

  private static int whoami(RunningServer server, String token) {
    return server.raw("GET", "/v1/whoami", token, null).status();
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + " failed", e);
    }
  }
}
