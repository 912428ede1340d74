package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.TestServices;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on one PostgreSQL database append audit records at once, through their audit writers
 * (one round trip while their remembered head holds, {@link OneTripAppend}) and through units of
 * work, while their connections are terminated at random moments: the chain stays one chain that
 * verifies, every append that was acknowledged is stored, and both nodes' generation ledgers follow
 * the chain to its head without a break.
 */
class PostgresAuditAcrossNodesTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void appendsOnTwoNodes_whileConnectionsAreKilled_keepOneChainWithEveryAcknowledgedRecord()
      throws Exception {
    String name = "kt_nodes_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    String baseUrl = TestServices.postgresUrl();
    execute(baseUrl, "CREATE SCHEMA " + name);
    // The application name marks this test's connections: only they are terminated.
    String url =
        baseUrl
            + (baseUrl.contains("?") ? "&" : "?")
            + "currentSchema="
            + name
            + "&ApplicationName="
            + name;
    RootKey key = RootKey.generate(new SecureRandom());
    AuditChain chain = new AuditChain(key);
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    try (JdbcStore a = JdbcStore.open(url, new FixedClock(T0));
        JdbcStore b = JdbcStore.open(url, new FixedClock(T0))) {
      AuditLog onA = a.openAuditLog(chain);
      a.protect(new Envelope(key, new SecureRandom()));
      AuditLog onB = b.openAuditLog(chain);
      b.protect(new Envelope(key, new SecureRandom()));
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger counter = new AtomicInteger();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 12; t++) {
        JdbcStore store = t % 2 == 0 ? a : b;
        AuditLog log = t % 2 == 0 ? onA : onB;
        boolean inUnits = t % 3 == 0;
        threads.add(
            Thread.ofPlatform()
                .start(() -> {
                  while (!stop.get()) {
                    String id = "r" + counter.incrementAndGet();
                    try {
                      if (inUnits) {
                        store.inTransaction(unit -> {
                          unit.audit().append(List.of(event(id)));
                          return null;
                        });
                      } else {
                        log.append(List.of(event(id)));
                      }
                      acknowledged.add(id);
                    } catch (RuntimeException e) {
                      // its connection was terminated: not acknowledged, perhaps stored
                    }
                  }
                }));
      }
      threads.add(
          Thread.ofPlatform()
              .start(() -> {
                while (!stop.get()) {
                  try {
                    Thread.sleep(ThreadLocalRandom.current().nextInt(20, 120));
                    execute(
                        baseUrl,
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            + " WHERE application_name = '"
                            + name
                            + "' AND random() < 0.3");
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              }));
      Thread.sleep(8_000);
      stop.set(true);
      for (Thread t : threads) {
        t.join();
      }
      // Connections the pools kept may have been terminated: the stores replace them themselves.
      onA.append(List.of(event("last-a")));
      onB.append(List.of(event("last-b")));
      a.integrity().tail();
      b.integrity().tail();

      AuditVerifier.Result result = new AuditVerifier(chain).verify(onA, Optional.empty());
      Set<String> stored = ConcurrentHashMap.newKeySet();
      onB.scan(r -> stored.add(r.event().secret().orElse("-")));
      long head = onA.head().orElseThrow().seq();

      assertThat(result.ok()).as(result.problem().toString()).isTrue();
      assertThat(result.records()).isEqualTo(head);
      assertThat(acknowledged).isNotEmpty();
      assertThat(stored).as("acknowledged records are stored").containsAll(acknowledged);
      for (JdbcStore node : List.of(a, b)) {
        assertThat(node.integrity().ledger().problem()).isEmpty();
        assertThat(node.integrity().ledger().lastSeq()).isEqualTo(head);
      }
    } finally {
      execute(baseUrl, "DROP SCHEMA " + name + " CASCADE");
    }
  }

  private static AuditEvent event(String id) {
    return new AuditEvent(
        T0, "tok", "test", "secret.read", Optional.of(id), Optional.of(1), "ok", "");
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + " failed", e);
    }
  }
}
