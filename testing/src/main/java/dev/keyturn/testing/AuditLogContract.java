package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.core.spi.AuditRecord;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link AuditLog} must have (the group-committed audit log). A backend's test
 * extends this class and returns a new, empty store from {@link #newStore()}; the in-memory fake,
 * SQLite and PostgreSQL all run it.
 */
public abstract class AuditLogContract extends StoreFixture {
  @Test
  void audit_appendsChainsQueriesAndVerifies() {
    AuditChain chain = new AuditChain(RootKey.generate(new SecureRandom()));
    try (AuditLog log = store.openAuditLog(chain)) {
      log.append(List.of(event("secret.write", "a/b", 1), event("version.stage", "a/b", 1)));
      log.append(List.of(event("secret.read", "a/c", 2)));

      List<AuditRecord> all =
          log.query(
              new AuditQuery(
                  Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 100));
      List<AuditRecord> forB =
          log.query(
              new AuditQuery(
                  Optional.empty(), Optional.of("a/b"), Optional.empty(), Optional.empty(), 100));
      List<AuditRecord> reads =
          log.query(
              new AuditQuery(
                  Optional.of(T0),
                  Optional.empty(),
                  Optional.of("secret.read"),
                  Optional.empty(),
                  100));
      List<AuditRecord> last =
          log.query(
              new AuditQuery(
                  Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 1));

      assertThat(all).extracting(AuditRecord::seq).containsExactly(1L, 2L, 3L);
      assertThat(all.get(0).event()).isEqualTo(event("secret.write", "a/b", 1));
      assertThat(forB).hasSize(2);
      assertThat(reads).extracting(r -> r.event().secret().orElseThrow()).containsExactly("a/c");
      assertThat(last).extracting(AuditRecord::seq).containsExactly(3L);
      assertThat(log.head().orElseThrow().seq()).isEqualTo(3);
      AuditVerifier.Result result = new AuditVerifier(chain).verify(log, Optional.empty());
      assertThat(result.ok()).isTrue();
      assertThat(result.records()).isEqualTo(3);
    }
  }

  @Test
  void query_withinPatternsAndToken_findsExactlyThoseRecords() {
    AuditChain chain = new AuditChain(RootKey.generate(new SecureRandom()));
    try (AuditLog log = store.openAuditLog(chain)) {
      log.append(
          List.of(
              event("secret.read", "team_a/prod/KEY", 1),
              event("secret.read", "teamXa/prod/KEY", 1),
              event("secret.read", "Team_a/prod/KEY", 1),
              event("secret.read", "team%a/x", 1),
              event("secret.read", "other/team_a/KEY", 1),
              new AuditEvent(
                  T0,
                  "tok_other",
                  "127.0.0.1",
                  "token.create",
                  Optional.empty(),
                  Optional.empty(),
                  "ok",
                  ""),
              new AuditEvent(
                  T0,
                  "tok_other",
                  "127.0.0.1",
                  "secret.read",
                  Optional.of("team_a/dev/KEY"),
                  Optional.of(2),
                  "ok",
                  "")));

      List<String> within = secrets(log.query(query(Optional.empty(), List.of("team_a/*"))));
      List<String> twoPatterns =
          secrets(log.query(query(Optional.empty(), List.of("team_a/prod/*", "*/team_a/*"))));
      List<String> exact = secrets(log.query(query(Optional.empty(), List.of("team_a/dev/KEY"))));
      List<AuditRecord> byToken = log.query(query(Optional.of("tok_other"), List.of()));
      List<AuditRecord> byTokenWithin =
          log.query(query(Optional.of("tok_other"), List.of("team_a/*")));

      assertThat(within).containsExactly("team_a/prod/KEY", "team_a/dev/KEY");
      assertThat(twoPatterns).containsExactly("team_a/prod/KEY", "other/team_a/KEY");
      assertThat(exact).containsExactly("team_a/dev/KEY");
      assertThat(byToken)
          .extracting(r -> r.event().action())
          .containsExactly("token.create", "secret.read");
      assertThat(secrets(byTokenWithin)).containsExactly("team_a/dev/KEY");
    }
  }

  private static AuditQuery query(Optional<String> token, List<String> within) {
    return new AuditQuery(
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        100,
        Optional.empty(),
        token,
        within);
  }

  private static List<String> secrets(List<AuditRecord> records) {
    return records.stream().map(r -> r.event().secret().orElse("-")).toList();
  }

  @Test
  void audit_concurrentAppends_formOneUnbrokenChain() throws Exception {
    AuditChain chain = new AuditChain(RootKey.generate(new SecureRandom()));
    try (AuditLog log = store.openAuditLog(chain)) {
      ExecutorService pool = Executors.newFixedThreadPool(16);
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        int n = i;
        futures.add(pool.submit(() -> log.append(List.of(event("secret.read", "c/" + n, n + 1)))));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      pool.shutdown();

      AuditVerifier.Result result = new AuditVerifier(chain).verify(log, Optional.empty());
      assertThat(result.ok()).as(result.problem().toString()).isTrue();
      assertThat(result.records()).isEqualTo(400);
    }
  }

  @Test
  void audit_closeFlushesEveryPendingAppend() throws Exception {
    AuditChain chain = new AuditChain(RootKey.generate(new SecureRandom()));
    AuditLog log = store.openAuditLog(chain);
    List<java.util.concurrent.CompletableFuture<Void>> pending = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      pending.add(log.appendAsync(List.of(event("secret.read", "f/" + i, i + 1))));
    }

    log.close();

    for (var f : pending) {
      f.get();
    }
    try (AuditLog reopened = store.openAuditLog(chain)) {
      assertThat(new AuditVerifier(chain).verify(reopened, Optional.empty()).records())
          .isEqualTo(200);
    }
  }
}
