package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.TokenInfo;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.store.NodePresence;
import dev.keyturn.testing.TestServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyturn operator issue-root-token} (issue 10 item 10): a new root token for a store left
 * without one, only with the root key and the store to itself.
 */
class OperatorTest {
  @TempDir Path dir;

  @Test
  void issueRootToken_stoppedServer_writesAWorkingAuditedToken() throws Exception {
    Path data = dir.resolve("data");
    RunningServer.start(data).close();
    Path out = dir.resolve("new-root.token");

    String id =
        Operator.issue(RunningServer.config(data, Optional.empty()), out, clock(), random());

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out)))
        .isEqualTo("rw-------");
    String token = Files.readString(out).strip();
    try (RunningServer server = RunningServer.start(data)) {
      assertThat(server.client(token).whoami().grants()).containsExactly("admin:*");
      TokenInfo info =
          server.client(token).listTokens().tokens().stream()
              .filter(t -> t.id().equals(id))
              .findFirst()
              .orElseThrow();
      assertThat(info.creator()).isNull();
      assertThat(info.expiresAt()).isNull();
      var records =
          server
              .client(token)
              .audit(
                  Optional.empty(),
                  Optional.empty(),
                  Optional.of("token.issue-root"),
                  Optional.empty())
              .records();
      assertThat(records)
          .singleElement()
          .satisfies(r -> {
            assertThat(r.detail()).isEqualTo("issued " + id + " admin:*");
            assertThat(r.tokenId()).isEqualTo("operator");
          });
      assertThat(server.client(token).verifyAudit(Optional.empty()).ok()).isTrue();
      assertThat(records.get(0).detail()).doesNotContain(token);
    }
  }

  @Test
  void issueRootToken_whileTheServerRuns_isRefusedNamingTheHolder() {
    Path data = dir.resolve("data");
    Path out = dir.resolve("new-root.token");
    try (RunningServer server = RunningServer.start(data)) {
      long before = server.client().listTokens().tokens().size();

      assertThatThrownBy(() ->
              Operator.issue(RunningServer.config(data, Optional.empty()), out, clock(), random()))
          .isInstanceOf(KeyturnException.Conflict.class)
          .hasMessageContaining("pid");

      assertThat(out).doesNotExist();
      assertThat(server.client().listTokens().tokens()).hasSize((int) before);
    }
  }

  @Test
  void issueRootToken_wrongRootKey_isRefusedAndStoresNothing() throws Exception {
    Path data = dir.resolve("data");
    RunningServer.start(data).close();
    Path out = dir.resolve("new-root.token");
    String otherKey = RootKey.generate(new SecureRandom()).toBase64Line().strip();

    assertThatThrownBy(() ->
            Operator.issue(
                RunningServer.config(data, Optional.of(otherKey)), out, clock(), random()))
        .hasMessageContaining("root key");

    assertThat(out).doesNotExist();
    try (RunningServer server = RunningServer.start(data)) {
      assertThat(server.client().listTokens().tokens()).hasSize(1);
    }
  }

  @Test
  void issueRootToken_existingFileOrLink_isRefusedAndLeftAsItWas() throws Exception {
    Path data = dir.resolve("data");
    RunningServer.start(data).close();
    Path existing = Files.writeString(dir.resolve("existing"), "keep me");
    Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("planted"));

    assertThatThrownBy(() ->
            Operator.issue(
                RunningServer.config(data, Optional.empty()), existing, clock(), random()))
        .isInstanceOf(KeyturnException.Conflict.class);
    assertThatThrownBy(() ->
            Operator.issue(RunningServer.config(data, Optional.empty()), link, clock(), random()))
        .isInstanceOf(KeyturnException.Conflict.class);

    assertThat(Files.readString(existing)).isEqualTo("keep me");
    assertThat(dir.resolve("planted")).doesNotExist();
  }

  @Test
  void issueRootToken_noStore_isRefusedWithoutMakingOne() {
    Path data = dir.resolve("empty");

    assertThatThrownBy(() ->
            Operator.issue(
                RunningServer.config(data, Optional.empty()), dir.resolve("t"), clock(), random()))
        .isInstanceOf(KeyturnException.NotFound.class);

    assertThat(data.resolve("keyturn.db")).doesNotExist();
  }

  @Test
  void command_noStore_exits5_andHelpExits0() {
    Path data = dir.resolve("none");

    int missing =
        new picocli.CommandLine(new Operator())
            .execute("issue-root-token", "--data", data.toString());
    int help = new picocli.CommandLine(new Operator()).execute("issue-root-token", "--help");

    assertThat(missing).isEqualTo(5);
    assertThat(help).isZero();
    assertThat(data.resolve("root.token")).doesNotExist();
  }

  @Test
  void issueRootToken_postgresWithANodeRunning_isRefused_thenWorksOnceItStops() throws Exception {
    String base = TestServices.postgresUrl();
    String schema = "kt_op_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute(base, "CREATE SCHEMA " + schema);
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    String key = RootKey.generate(new SecureRandom()).toBase64Line().strip();
    ServerConfig config =
        ServerConfig.local(dir.resolve("node"), "127.0.0.1", 0, url, Optional.of(key));
    Path out = dir.resolve("pg-root.token");
    try {
      try (RunningServer node = RunningServer.start(config, Clock.systemUTC())) {
        assertThatThrownBy(() -> Operator.issue(config, out, clock(), random()))
            .isInstanceOf(KeyturnException.Conflict.class)
            .hasMessageContaining("stop every server");
        assertThat(out).doesNotExist();
      }

      String id = onceReleased(() -> Operator.issue(config, out, clock(), random()));

      try (NodePresence held = NodePresence.exclusive(url)) {
        assertThatThrownBy(() -> RunningServer.start(config, Clock.systemUTC()))
            .isInstanceOf(KeyturnException.Conflict.class)
            .hasMessageContaining("operator command");
      }
      try (RunningServer node =
          onceReleased(() -> RunningServer.start(config, Clock.systemUTC()))) {
        String token = Files.readString(out).strip();
        assertThat(node.client(token).whoami().tokenId()).isEqualTo(id);
      }
    } finally {
      execute(base, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  /**
   * Runs {@code action} until the store lock of a session that just closed is released: PostgreSQL
   * ends a closed session's backend, and frees its advisory locks, a moment after the client closes
   * it, so an operator command started right after a server stopped may still see it.
   */
  private static <T> T onceReleased(java.util.function.Supplier<T> action)
      throws InterruptedException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        return action.get();
      } catch (KeyturnException.Conflict e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static Clock clock() {
    return Clock.systemUTC();
  }

  private static SecureRandom random() {
    return new SecureRandom();
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + " failed", e);
    }
  }
}
