package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.Stage;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.core.spi.AuditRecord;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.core.spi.UnitOfWork;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The behaviour of {@link dev.keyturn.core.spi.Store#inTransaction}: a unit of work over secrets,
 * tokens, rules, rotations and audit records commits all of it or none of it (DESIGN invariant 9),
 * and its audit records extend the same chain as the group-committed log.
 */
public abstract class UnitOfWorkContract extends StoreFixture {
  private final AuditChain chain = new AuditChain(RootKey.generate(new SecureRandom()));

  @Test
  void inTransaction_returns_everyRoleAndItsAuditRecordsCommitted() {
    try (AuditLog log = store.openAuditLog(chain)) {
      String result =
          store.inTransaction(work -> {
            work.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
            work.tokens().create(token("tok_u", "hash-u"));
            work.rotations().putRule(rule(NAME), Optional.of(T0.plusSeconds(60)));
            work.rotations().start(rotation("rot_u", NAME, RotationState.CREATE, T0));
            work.audit().append(List.of(event("secret.write", NAME.value(), 1)));
            work.audit().append(List.of(event("version.create", NAME.value(), 1)));
            return "done";
          });

      assertThat(result).isEqualTo("done");
      assertThat(store.secrets().find(NAME).orElseThrow().versions().versions()).hasSize(1);
      assertThat(store.tokens().findByHash(bytes("hash-u"))).isPresent();
      assertThat(store.rotations().rule(NAME)).isPresent();
      assertThat(store.rotations().active(NAME)).isPresent();
      assertThat(all(log))
          .extracting(r -> r.event().action())
          .containsExactly("secret.write", "version.create");
      assertThat(new AuditVerifier(chain).verify(log, Optional.empty()).ok()).isTrue();
    }
  }

  @Test
  void inTransaction_readsInsideSeeTheUnitsOwnWrites() {
    store.openAuditLog(chain).close();

    int versions =
        store.inTransaction(work -> {
          work.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
          work.secrets().update(NAME, s -> addCurrent(s, "two", Duration.ofHours(1)));
          return work.secrets().find(NAME).orElseThrow().versions().versions().size();
        });

    assertThat(versions).isEqualTo(2);
  }

  @Test
  void inTransaction_workThrows_keepsNothingOfAnyRole() {
    try (AuditLog log = store.openAuditLog(chain)) {
      StoredSecret before = store.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
      log.append(List.of(event("secret.write", NAME.value(), 1)));

      assertThatThrownBy(() ->
              store.inTransaction(work -> {
                work.secrets().update(NAME, s -> addCurrent(s, "two", Duration.ZERO));
                work.secrets().update(OTHER, s -> addCurrent(s, "other", Duration.ZERO));
                work.tokens().create(token("tok_x", "hash-x"));
                work.rotations().putRule(rule(NAME), Optional.empty());
                work.rotations().start(rotation("rot_x", NAME, RotationState.CREATE, T0));
                work.audit().append(List.of(event("version.create", NAME.value(), 2)));
                throw new IllegalStateException("refused");
              }))
          .hasMessage("refused");

      StoredSecret after = store.secrets().find(NAME).orElseThrow();
      assertThat(after.versions()).isEqualTo(before.versions());
      assertThat(store.secrets().ciphertext(before.id(), 2)).isEmpty();
      assertThat(store.secrets().find(OTHER)).isEmpty();
      assertThat(store.tokens().findByHash(bytes("hash-x"))).isEmpty();
      assertThat(store.rotations().rule(NAME)).isEmpty();
      assertThat(store.rotations().rotation("rot_x")).isEmpty();
      assertThat(all(log)).extracting(AuditRecord::seq).containsExactly(1L);
    }
  }

  @Test
  void inTransaction_aStoreRefusalLateInTheUnit_undoesTheEarlierWrites() {
    try (AuditLog log = store.openAuditLog(chain)) {
      store.rotations().start(rotation("rot_1", NAME, RotationState.SET, T0));

      assertThatThrownBy(() ->
              store.inTransaction(work -> {
                work.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
                work.audit().append(List.of(event("version.create", NAME.value(), 1)));
                work.rotations().start(rotation("rot_2", NAME, RotationState.CREATE, T0));
                return null;
              }))
          .isInstanceOf(KeyturnException.RotationInProgress.class);

      assertThat(store.secrets().find(NAME)).isEmpty();
      assertThat(log.head()).isEmpty();
      assertThat(store.isEmpty()).isTrue();
    }
  }

  @Test
  void inTransaction_auditBeforeTheLogIsOpened_isRefusedAndKeepsNothing() {
    assertThatThrownBy(() ->
            store.inTransaction(work -> {
              work.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
              work.audit().append(List.of(event("version.create", NAME.value(), 1)));
              return null;
            }))
        .isInstanceOf(IllegalStateException.class);

    assertThat(store.secrets().find(NAME)).isEmpty();
  }

  @Test
  void inTransaction_unitUsedAfterItEnded_isRefused() {
    store.openAuditLog(chain).close();
    UnitOfWork[] kept = new UnitOfWork[1];
    store.inTransaction(work -> {
      kept[0] = work;
      return null;
    });

    assertThatThrownBy(() -> kept[0].secrets().find(NAME))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> kept[0].audit().append(List.of(event("x", NAME.value(), 1))))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void inTransaction_concurrentWithGroupCommits_everyVersionHasItsRecordInOneChain()
      throws Exception {
    try (AuditLog log = store.openAuditLog(chain)) {
      int writers = 6;
      int perWriter = 20;
      ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        SecretName name = SecretName.of("uow/" + (w % 3));
        int writer = w;
        futures.add(
            pool.submit(() -> {
              for (int i = 0; i < perWriter; i++) {
                String value = writer + "-" + i;
                store.inTransaction(work -> {
                  StoredSecret s =
                      work.secrets().update(name, x -> addCurrent(x, value, Duration.ZERO));
                  int n = s.versions().current().orElseThrow().number();
                  work.audit().append(List.of(event("version.create", name.value(), n)));
                  return null;
                });
              }
            }));
      }
      for (int r = 0; r < 2; r++) {
        futures.add(
            pool.submit(() -> {
              for (int i = 0; i < 60; i++) {
                log.append(List.of(event("secret.read", "uow/0", 1)));
              }
            }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      pool.shutdown();

      AuditVerifier.Result verified = new AuditVerifier(chain).verify(log, Optional.empty());
      assertThat(verified.ok()).as(verified.problem().toString()).isTrue();
      assertThat(verified.records()).isEqualTo(writers * perWriter + 120);
      Set<String> recorded = new HashSet<>();
      log.scan(r -> {
        if (r.event().action().equals("version.create")) {
          recorded.add(r.event().secret().orElseThrow() + "#" + r.event().version().orElseThrow());
        }
      });
      Set<String> stored = new HashSet<>();
      for (int k = 0; k < 3; k++) {
        SecretName name = SecretName.of("uow/" + k);
        store
            .secrets()
            .find(name)
            .orElseThrow()
            .versions()
            .versions()
            .forEach(v -> stored.add(name.value() + "#" + v.number()));
      }
      assertThat(stored).hasSize(writers * perWriter);
      assertThat(recorded).isEqualTo(stored);
      assertThat(store.secrets().find(SecretName.of("uow/0")).orElseThrow().versions().versions())
          .filteredOn(v -> v.stage() == Stage.CURRENT)
          .hasSize(1);
    }
  }

  private static final SecretName OTHER = SecretName.of("app/production/OTHER");

  private static List<AuditRecord> all(AuditLog log) {
    return log.query(
        new AuditQuery(
            Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 1000));
  }
}
