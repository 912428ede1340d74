package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.client.internal.WireClient;
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
 * Two servers on one PostgreSQL store, each with its read cache: a write acknowledged by A is never
 * served stale by B once {@link ReadCache#BOUND} has passed, also when B's listening connection is
 * killed just before the write (B clears its cache, listens again and serves from it again).
 */
class ReadCacheAcrossNodesTest {
  private static final int ROUNDS = 30;

  @TempDir Path dir;

  @Test
  void putOnA_isNeverServedStaleByB_afterItsAcknowledgementPlusTheBound() throws Exception {
    String base = TestServices.postgresUrl();
    String schema = "kt_cache_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute(base, "CREATE SCHEMA " + schema);
    String url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    Optional<String> key = Optional.of(RootKey.generate(new SecureRandom()).toBase64Line().strip());
    try (RunningServer a = start(dir.resolve("a"), url, key);
        RunningServer b = start(dir.resolve("b"), url, key)) {
      String listenerOfB =
          "keyturn-watch " + Files.readString(dir.resolve("b").resolve("node.id")).strip();
      WireClient writer = a.client();
      WireClient onB = b.client(a.token("read:rc/*"));
      writer.put("rc/x", put("v0"));
      List<String> violations = new ArrayList<>();
      int killed = 0;
      int staleWithinBound = 0;
      for (int round = 1; round <= ROUNDS; round++) {
        String old = "v" + (round - 1);
        String now = "v" + round;
        // B reads first, so that its cache holds the value the write replaces.
        onB.get("rc/x");
        if (round % 10 == 5) {
          killed += terminate(base, listenerOfB);
        }
        writer.put("rc/x", put(now));
        long acknowledged = System.nanoTime();
        // Within the bound B may answer with either (a listener running late may even vouch
        // again, with an earlier ping, for a cache that still holds the old value).
        while (System.nanoTime() - acknowledged < ReadCache.BOUND.toNanos()) {
          String got = onB.get("rc/x").value().asString();
          if (got.equals(old)) {
            staleWithinBound++;
          } else if (!got.equals(now)) {
            violations.add("round " + round + ": " + got + " within the bound of " + now);
          }
        }
        for (int reread = 0; reread < 3; reread++) {
          String got = onB.get("rc/x").value().asString();
          if (!got.equals(now)) {
            violations.add("round " + round + ": " + got + " after the bound, not " + now);
          }
        }
      }
      Eventually.waitFor(
          Duration.ofSeconds(30),
          () -> metric(b, "keyturn_cache_serving").equals("1.0") && count(base, listenerOfB) == 1);
      onB.get("rc/x");
      String cached = metric(b, "keyturn_cache_secrets");

      assertThat(violations).isEmpty();
      assertThat(killed).as("B's listener, each of the %d times", ROUNDS / 10).isEqualTo(3);
      assertThat(cached).as("B serves from its cache again").isEqualTo("1.0");
      // Not asserted (it depends on timing): how often B answered with the old value inside the
      // bound. Printed, so that a run shows the window the bound covers was exercised.
      System.out.println("stale answers inside the bound: " + staleWithinBound);
    } finally {
      execute(base, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  private static PutSecretRequest put(String value) {
    return new PutSecretRequest(value, null, null, null, null);
  }

  private static RunningServer start(Path data, String url, Optional<String> key) {
    return RunningServer.start(
        ServerConfig.local(data, "127.0.0.1", 0, url, key), Clock.systemUTC());
  }

  /** The value of the unlabelled gauge {@code name} in {@code server}'s {@code /metrics}. */
  private static String metric(RunningServer server, String name) {
    for (String line : server.raw("GET", "/metrics", null, null).body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return line.substring(name.length() + 1).strip();
      }
    }
    return "absent";
  }

  /** Ends the sessions named {@code applicationName}; returns how many. */
  private static int terminate(String url, String applicationName) throws Exception {
    return sessions(
        url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?",
        applicationName);
  }

  private static int count(String url, String applicationName) {
    try {
      return sessions(
          url, "SELECT true FROM pg_stat_activity WHERE application_name = ?", applicationName);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static int sessions(String url, String sql, String applicationName) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        PreparedStatement ps = c.prepareStatement(sql)) {
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
