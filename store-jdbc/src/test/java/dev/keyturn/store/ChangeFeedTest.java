package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.SecretChange;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The change feed on PostgreSQL: every committed write of a secret is heard with its name (a
 * rolled-back one never); a killed listening connection is reported lost, then relistened, and the
 * feed vouches for nothing from the loss until a ping returns on the new connection. Also: two
 * stores appending to one audit table at once extend one chain (the chain lock and the head are
 * read in one round trip).
 */
class ChangeFeedTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final FixedClock clock = new FixedClock(T0);
  private final String schema =
      "kt_feed_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
  private final List<String> heard = Collections.synchronizedList(new ArrayList<>());
  private String baseUrl;
  private boolean created;

  /** A store on this test's schema (created by the first call); skips without PostgreSQL. */
  private JdbcStore store() {
    if (!created) {
      baseUrl = TestServices.postgresUrl();
      execute(baseUrl, "CREATE SCHEMA " + schema);
      created = true;
    }
    return JdbcStore.open(
        baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema, clock);
  }

  @AfterEach
  void dropSchema() {
    if (created) {
      execute(baseUrl, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  @Test
  void secretWrite_isHeardWithItsName_andARolledBackOneIsNot() throws Exception {
    try (JdbcStore store = store();
        ChangeFeed feed = recording(store, "feed-names")) {
      Eventually.waitFor(Duration.ofSeconds(30), () -> feed.caughtUpWithin(Duration.ofHours(1)));

      assertThatThrownBy(() ->
              store.inTransaction(unit -> {
                unit.secrets().update(SecretName.of("feed/rolled-back"), ChangeFeedTest::add);
                throw new IllegalStateException("the unit fails after the write");
              }))
          .isInstanceOf(IllegalStateException.class);
      store.secrets().update(SecretName.of("feed/kept"), ChangeFeedTest::add);
      store.secrets().update(SecretName.of("feed/kept"), s -> SecretChange.stages(s.versions()));
      Eventually.waitFor(
          Duration.ofSeconds(30),
          () -> heard.stream().filter("name feed/kept"::equals).count() == 2);

      // PostgreSQL delivers in commit order, so the rolled-back write would have come first.
      assertThat(heard).doesNotContain("name feed/rolled-back");
      assertThat(heard)
          .as("a write that moves no version still announces its name")
          .containsSubsequence("name feed/kept", "name feed/kept");
    }
  }

  @Test
  void killedListener_isLostThenRelistened_andVouchesOnlyAfterAPingOnTheNewConnection()
      throws Exception {
    String node = "feed-kill-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    try (JdbcStore store = store();
        ChangeFeed feed = recording(store, node)) {
      Eventually.waitFor(Duration.ofSeconds(30), () -> feed.caughtUpWithin(Duration.ofHours(1)));

      int killed = terminate("keyturn-watch " + node);
      Eventually.waitFor(Duration.ofSeconds(30), () -> heard.contains("relistened false"));
      Eventually.waitFor(Duration.ofSeconds(30), () -> feed.caughtUpWithin(Duration.ofHours(1)));
      store.secrets().update(SecretName.of("feed/after"), ChangeFeedTest::add);
      Eventually.waitFor(Duration.ofSeconds(30), () -> heard.contains("name feed/after"));

      assertThat(killed).isEqualTo(1);
      assertThat(heard)
          .as("lost, then relistened, vouching for nothing at either")
          .containsSubsequence("lost false", "relistened false", "name feed/after");
    }
  }

  @Test
  void twoStores_appendingAtOnce_extendOneChain() throws Exception {
    AuditChain chain = new AuditChain(RootKey.generate(new SecureRandom()));
    try (JdbcStore a = store();
        JdbcStore b = store();
        AuditLog onA = a.openAuditLog(chain);
        AuditLog onB = b.openAuditLog(chain)) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> appends = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        AuditLog log = i % 2 == 0 ? onA : onB;
        AuditEvent event =
            new AuditEvent(
                T0,
                "tok",
                "test",
                "secret.read",
                Optional.of("feed/c" + i),
                Optional.of(1),
                "ok",
                "");
        appends.add(pool.submit(() -> log.append(List.of(event))));
      }
      for (Future<?> f : appends) {
        f.get();
      }
      pool.shutdown();

      AuditVerifier.Result result = new AuditVerifier(chain).verify(onB, Optional.empty());
      assertThat(result.ok()).as(result.problem().toString()).isTrue();
      assertThat(result.records()).isEqualTo(400);
    }
  }

  /** A started feed on {@code store} that records what it is told in {@link #heard}. */
  private ChangeFeed recording(JdbcStore store, String node) {
    ChangeFeed feed =
        store.changeEvents().feed(node, Duration.ofMillis(100), Duration.ofMillis(50));
    feed.subscribe(
        new ChangeFeed.Subscriber() {
          @Override
          public void notified(Optional<String> name) {
            name.ifPresent(n -> heard.add("name " + n));
          }

          @Override
          public void lost() {
            heard.add("lost " + feed.caughtUpWithin(Duration.ofHours(1)));
          }

          @Override
          public void relistened() {
            heard.add("relistened " + feed.caughtUpWithin(Duration.ofHours(1)));
          }
        });
    return feed.start();
  }

  private static SecretChange add(StoredSecret s) {
    int n = s.versions().nextNumber();
    Version v =
        new Version(n, Stage.CURRENT, ValueType.STRING, T0, "tester", Optional.empty(), "fp-" + n);
    return new SecretChange(
        s.versions().add(v, Duration.ZERO, T0),
        Map.of(n, ("ct-" + n).getBytes(StandardCharsets.UTF_8)),
        s.wrappedDataKey().isPresent()
            ? Optional.empty()
            : Optional.of("dk".getBytes(StandardCharsets.UTF_8)),
        false);
  }

  private int terminate(String applicationName) throws Exception {
    try (Connection c = DriverManager.getConnection(baseUrl);
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
