package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.TestServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one PostgreSQL store: a change on one reaches the other's streams through {@code
 * LISTEN/NOTIFY}; when the other's listening connection is killed it listens again, sends {@code
 * reset} to its streams, and later changes still arrive. Also: a {@code Last-Event-ID} older than
 * the 24 hours kept gets a reset.
 */
class WatchAcrossNodesTest {
  @TempDir Path dir;

  @Test
  void putOnA_reachesBsStream_andBResetsItsStreamsAfterItsListenerIsKilled() throws Exception {
    String base = TestServices.postgresUrl();
    String schema = "kt_watch_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute(base, "CREATE SCHEMA " + schema);
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    Optional<String> key = Optional.of(RootKey.generate(new SecureRandom()).toBase64Line().strip());
    try (RunningServer a = start(dir.resolve("a"), url, key);
        RunningServer b = start(dir.resolve("b"), url, key)) {
      String token = a.token("read:n1/*");
      try (SseClient onB = new SseClient(b.port(), "/v1/watch?prefix=n1", token, null)) {
        onB.untilReady();

        a.client().put("n1/A", new PutSecretRequest("a1", null, null, null, null));
        SseClient.Message first = onB.nextEvent();
        String nodeB = Files.readString(dir.resolve("b").resolve("node.id")).strip();
        int killed = terminate(base, "keyturn-watch " + nodeB);
        SseClient.Message reset = onB.nextEvent();
        // B listens again before it resets: a put now must reach B's stream.
        a.client().put("n1/B", new PutSecretRequest("b1", null, null, null, null));
        List<SseClient.Message> after = new ArrayList<>();
        SseClient.Message m;
        while (!(m = onB.nextEvent()).data().contains("n1/B")) {
          after.add(m);
        }

        assertThat(first.type()).isEqualTo("version");
        assertThat(first.data()).contains("\"name\":\"n1/A\"").doesNotContain("a1");
        assertThat(killed).as("B's listener, and only it").isEqualTo(1);
        assertThat(reset.type()).isEqualTo("reset");
        assertThat(Long.parseLong(reset.id())).isGreaterThanOrEqualTo(Long.parseLong(first.id()));
        assertThat(after).as("nothing but n1/B's event after the reset").isEmpty();
        assertThat(m.type()).isEqualTo("version");
        assertThat(Long.parseLong(m.id())).isGreaterThan(Long.parseLong(reset.id()));
      }
    } finally {
      execute(base, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  @Test
  void lastEventIdOlderThanTheWindow_getsReset_theNewestKeptOneReplays() throws Exception {
    Path data = dir.resolve("c");
    String old;
    String newest;
    String token;
    try (RunningServer server = RunningServer.start(data)) {
      token = server.token("read:n2/*");
      try (SseClient stream = new SseClient(server.port(), "/v1/watch?prefix=n2", token, null)) {
        stream.untilReady();
        server.client().put("n2/A", new PutSecretRequest("a1", null, null, null, null));
        old = stream.nextEvent().id();
        server.client().put("n2/B", new PutSecretRequest("b1", null, null, null, null));
        stream.nextEvent();
        server.client().put("n2/C", new PutSecretRequest("c1", null, null, null, null));
        newest = stream.nextEvent().id();
      }
    }

    // The same store 25 hours later: the hub prunes what is older than 24 hours at its first tick,
    // all but C (the newest), so a stream resuming after A would miss B.
    try (RunningServer later =
        RunningServer.start(
            RunningServer.config(data, Optional.empty()),
            Clock.offset(Clock.systemUTC(), Duration.ofHours(25)))) {
      String laterToken = later.token("read:n2/*");
      Eventually.waitFor(
          Duration.ofSeconds(30),
          () -> firstBeforeReady(later, laterToken, old).equals(List.of("reset")));
      List<String> fromNewest = firstBeforeReady(later, laterToken, newest);

      assertThat(fromNewest).as("the newest event is kept, so its id is still known").isEmpty();
    }
  }

  /** The types of what a stream resuming after {@code id} gets before {@code ready}. */
  private static List<String> firstBeforeReady(RunningServer server, String token, String id) {
    try (SseClient stream = new SseClient(server.port(), "/v1/watch?prefix=n2", token, id)) {
      return stream.untilReady().stream().map(SseClient.Message::type).toList();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static RunningServer start(Path data, String url, Optional<String> key) {
    return RunningServer.start(
        ServerConfig.local(data, "127.0.0.1", 0, url, key), Clock.systemUTC());
  }

  /** Ends the sessions named {@code applicationName}; returns how many. */
  private static int terminate(String url, String applicationName) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE application_name = ?")) {
      ps.setString(1, applicationName);
      int n = 0;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          n += rs.getBoolean(1) ? 1 : 0;
        }
      }
      return n;
    }
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + " failed", e);
    }
  }
}
