package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.Generator;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.VersionSet;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.core.spi.AuditRecord;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.SecretChange;
import dev.keyturn.core.spi.SecretStore;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.core.spi.TokenRecord;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link SecretStore} must have. A backend's test extends this class and
 * returns a new, empty store from {@link #newStore()}; the in-memory fake, SQLite and PostgreSQL
 * all run it.
 */
public abstract class SecretStoreContract {
  protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final SecretName NAME = SecretName.of("app/production/API_KEY");

  protected SecretStore store;

  /** A new, empty store. */
  protected abstract SecretStore newStore();

  @BeforeEach
  void open() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void update_newSecret_storesVersionCiphertextAndDataKey() {
    StoredSecret after = store.update(NAME, s -> addCurrent(s, "one", Duration.ZERO));

    StoredSecret found = store.find(NAME).orElseThrow();
    assertThat(found.id()).isEqualTo(after.id());
    assertThat(found.wrappedDataKey()).get().satisfies(dk -> assertThat(dk).isEqualTo(bytes("dk")));
    assertThat(found.versions().versions()).hasSize(1);
    Version v1 = found.versions().current().orElseThrow();
    assertThat(v1.number()).isEqualTo(1);
    assertThat(v1.createdBy()).isEqualTo("tester");
    assertThat(v1.fingerprint()).isEqualTo("fp-one");
    assertThat(store.ciphertext(found.id(), 1)).get().isEqualTo(bytes("ct-one"));
  }

  @Test
  void update_secondVersionWithGrace_keepsPreviousWithAcceptUntil() {
    store.update(NAME, s -> addCurrent(s, "one", Duration.ZERO));

    store.update(NAME, s -> addCurrent(s, "two", Duration.ofHours(24)));

    VersionSet versions = store.find(NAME).orElseThrow().versions();
    assertThat(versions.current().orElseThrow().number()).isEqualTo(2);
    Version previous = versions.version(1).orElseThrow();
    assertThat(previous.stage()).isEqualTo(Stage.PREVIOUS);
    assertThat(previous.acceptUntil()).contains(T0.plus(Duration.ofHours(24)));
  }

  @Test
  void update_changeThrows_writesNothing() {
    assertThatThrownBy(() ->
            store.update(
                NAME,
                s -> {
                  throw new IllegalStateException("refused");
                }))
        .hasMessage("refused");

    assertThat(store.find(NAME)).isEmpty();
    assertThat(store.isEmpty()).isTrue();
  }

  @Test
  void update_changeThrowsOnExistingSecret_keepsItAsItWas() {
    store.update(NAME, s -> addCurrent(s, "one", Duration.ZERO));

    assertThatThrownBy(() ->
            store.update(
                NAME,
                s -> {
                  addCurrent(s, "two", Duration.ZERO);
                  throw new IllegalStateException("refused");
                }))
        .hasMessage("refused");

    assertThat(store.find(NAME).orElseThrow().versions().versions()).hasSize(1);
  }

  @Test
  void update_removingAVersion_isRefused() {
    store.update(NAME, s -> addCurrent(s, "one", Duration.ZERO));

    assertThatThrownBy(() -> store.update(NAME, s -> SecretChange.stages(VersionSet.empty(NAME))))
        .isInstanceOf(IllegalStateException.class);

    assertThat(store.find(NAME).orElseThrow().versions().versions()).hasSize(1);
  }

  @Test
  void update_stageChange_persists() {
    store.update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
    store.update(NAME, s -> addCurrent(s, "two", Duration.ofHours(1)));

    store.update(
        NAME, s -> SecretChange.stages(s.versions().move(1, Stage.RETIRED, Duration.ZERO, T0)));

    assertThat(store.find(NAME).orElseThrow().versions().version(1).orElseThrow().stage())
        .isEqualTo(Stage.RETIRED);
  }

  @Test
  void update_destroy_erasesCiphertextsAndDataKeyButKeepsMetadata() {
    StoredSecret stored = store.update(NAME, s -> addCurrent(s, "one", Duration.ZERO));

    store.update(
        NAME, s -> new SecretChange(s.versions().retireAll(), Map.of(), Optional.empty(), true));

    StoredSecret found = store.find(NAME).orElseThrow();
    assertThat(found.destroyed()).isTrue();
    assertThat(found.wrappedDataKey()).isEmpty();
    assertThat(store.ciphertext(stored.id(), 1)).isEmpty();
    assertThat(found.versions().version(1).orElseThrow().stage()).isEqualTo(Stage.RETIRED);
  }

  @Test
  void update_afterDestroy_takesNewDataKeyAndNextNumber() {
    store.update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
    store.update(
        NAME, s -> new SecretChange(s.versions().retireAll(), Map.of(), Optional.empty(), true));

    store.update(NAME, s -> addCurrent(s, "two", Duration.ZERO));

    StoredSecret found = store.find(NAME).orElseThrow();
    assertThat(found.destroyed()).isFalse();
    assertThat(found.wrappedDataKey()).isPresent();
    assertThat(found.versions().current().orElseThrow().number()).isEqualTo(2);
  }

  @Test
  void find_unknownName_isEmpty() {
    assertThat(store.find(SecretName.of("nobody/here"))).isEmpty();
    assertThat(store.ciphertext(12345, 1)).isEmpty();
  }

  @Test
  void list_filtersByPrefixPagesInNameOrderAndHidesDeleted() {
    for (String n : List.of("b/x", "a/2", "a/1", "a/3", "ab/1", "c")) {
      store.update(SecretName.of(n), s -> addCurrent(s, n, Duration.ZERO));
    }
    store.update(SecretName.of("a/3"), s -> SecretChange.stages(s.versions().retireAll()));

    List<String> firstPage = names(store.list("a/", Optional.empty(), 1));
    List<String> secondPage = names(store.list("a/", Optional.of("a/1"), 10));
    List<String> all = names(store.list("", Optional.empty(), 100));

    assertThat(firstPage).containsExactly("a/1");
    assertThat(secondPage).containsExactly("a/2");
    assertThat(all).containsExactly("a/1", "a/2", "ab/1", "b/x", "c");
  }

  @Test
  void list_isCaseSensitiveBinaryOrder() {
    for (String n : List.of("app/b", "app/B", "App/a")) {
      store.update(SecretName.of(n), s -> addCurrent(s, n, Duration.ZERO));
    }

    assertThat(names(store.list("", Optional.empty(), 10)))
        .containsExactly("App/a", "app/B", "app/b");
    assertThat(names(store.list("app/", Optional.empty(), 10))).containsExactly("app/B", "app/b");
  }

  @Test
  void update_concurrentWritersToOneSecret_loseNothing() throws Exception {
    int threads = 8;
    int perThread = 15;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      futures.add(
          pool.submit(() -> {
            for (int i = 0; i < perThread; i++) {
              String value = thread + "-" + i;
              store.update(NAME, s -> addCurrent(s, value, Duration.ofHours(1)));
            }
          }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();

    StoredSecret found = store.find(NAME).orElseThrow();
    List<Version> versions = found.versions().versions();
    assertThat(versions).hasSize(threads * perThread);
    assertThat(versions).extracting(Version::number).doesNotHaveDuplicates();
    assertThat(versions.stream().filter(v -> v.stage() == Stage.CURRENT)).hasSize(1);
    assertThat(versions).extracting(Version::fingerprint).doesNotHaveDuplicates();
    for (Version v : versions) {
      assertThat(store.ciphertext(found.id(), v.number())).isPresent();
    }
  }

  @Test
  void settings_writeOnceAndRead() {
    assertThat(store.setting("root-key-id")).isEmpty();

    String first = store.settingIfAbsent("root-key-id", "rk-1");
    String second = store.settingIfAbsent("root-key-id", "rk-2");

    assertThat(first).isEqualTo("rk-1");
    assertThat(second).isEqualTo("rk-1");
    assertThat(store.setting("root-key-id")).contains("rk-1");
  }

  @Test
  void tokens_createFindCountAndEmptiness() {
    assertThat(store.isEmpty()).isTrue();
    TokenRecord token =
        new TokenRecord(
            "tok_1",
            "ci",
            bytes("hash-1"),
            List.of("read:app/*", "list:*"),
            T0,
            Optional.of(T0.plus(Duration.ofDays(30))),
            Optional.empty(),
            Optional.empty(),
            TokenRecord.CreatorSource.RECORDED);
    TokenRecord child = token("tok_2", "hash-2", "tok_1", TokenRecord.CreatorSource.RECORDED);

    store.tokens().create(token);
    store.tokens().create(child);

    TokenRecord found = store.tokens().findByHash(bytes("hash-1")).orElseThrow();
    assertThat(found.id()).isEqualTo("tok_1");
    assertThat(found.name()).isEqualTo("ci");
    assertThat(found.grants()).containsExactly("read:app/*", "list:*");
    assertThat(found.expiresAt()).contains(T0.plus(Duration.ofDays(30)));
    assertThat(found.revokedAt()).isEmpty();
    assertThat(found.creator()).isEmpty();
    assertThat(found.creatorSource()).isEqualTo(TokenRecord.CreatorSource.RECORDED);
    TokenRecord foundChild = store.tokens().findByHash(bytes("hash-2")).orElseThrow();
    assertThat(foundChild.creator()).contains("tok_1");
    assertThat(store.tokens().findByHash(bytes("hash-3"))).isEmpty();
    assertThat(store.tokens().count()).isEqualTo(2);
    assertThat(store.isEmpty()).isFalse();
  }

  @Test
  void tokens_listAndRevoke() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(token("tok_a", "hash-a"));
    store.tokens().create(token("tok_b", "hash-b"));

    List<TokenRecord> revoked = store.tokens().revoke("tok_a", T0.plusSeconds(5));
    List<TokenRecord> again = store.tokens().revoke("tok_a", T0.plusSeconds(9));

    assertThat(store.tokens().list())
        .extracting(TokenRecord::id)
        .containsExactly("tok_a", "tok_b", "tok_root");
    assertThat(revoked)
        .singleElement()
        .satisfies(t -> {
          assertThat(t.id()).isEqualTo("tok_a");
          assertThat(t.revokedAt()).contains(T0.plusSeconds(5));
        });
    assertThat(again.get(0).revokedAt()).as("first revocation kept").contains(T0.plusSeconds(5));
    assertThat(store.tokens().findByHash(bytes("hash-a")).orElseThrow().validAt(T0.plusSeconds(6)))
        .isFalse();
    assertThat(store.tokens().findByHash(bytes("hash-b")).orElseThrow().validAt(T0.plusSeconds(6)))
        .isTrue();
    assertThat(store.tokens().revoke("tok_none", T0)).isEmpty();
  }

  @Test
  void tokens_revoke_takesEveryDescendantAndLeavesOthers() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(token("tok_a", "hash-a", "tok_root", TokenRecord.CreatorSource.RECORDED));
    store.tokens().create(token("tok_b", "hash-b", "tok_a", TokenRecord.CreatorSource.RECORDED));
    store.tokens().create(token("tok_c", "hash-c", "tok_b", TokenRecord.CreatorSource.AUDIT));
    store.tokens().create(token("tok_d", "hash-d", "tok_root", TokenRecord.CreatorSource.RECORDED));

    List<TokenRecord> revoked = store.tokens().revoke("tok_a", T0.plusSeconds(5));

    assertThat(revoked).extracting(TokenRecord::id).containsExactly("tok_a", "tok_b", "tok_c");
    for (String hash : List.of("hash-a", "hash-b", "hash-c")) {
      assertThat(store.tokens().findByHash(bytes(hash)).orElseThrow().revokedAt())
          .as(hash)
          .contains(T0.plusSeconds(5));
    }
    assertThat(store.tokens().findByHash(bytes("hash-d")).orElseThrow().revokedAt()).isEmpty();
    assertThat(store.tokens().findByHash(bytes("tok_root")).orElseThrow().revokedAt()).isEmpty();
  }

  @Test
  void tokens_revoke_leavingNoAdminStar_isRefusedAndChangesNothing() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(token("tok_a", "hash-a", "tok_root", TokenRecord.CreatorSource.RECORDED));

    assertThatThrownBy(() -> store.tokens().revoke("tok_root", T0.plusSeconds(5)))
        .isInstanceOf(KeyturnException.Conflict.class)
        .hasMessageContaining("no valid admin:* token");

    assertThat(store.tokens().list()).allSatisfy(t -> assertThat(t.revokedAt()).isEmpty());
  }

  @Test
  void tokens_revoke_withAnOrphanAdmin_takesRootAndTheUnresolvedTokens() {
    store.tokens().create(admin(TokenRecord.ROOT_ID));
    store.tokens().create(admin("tok_orphan"));
    store.tokens().create(token("tok_old", "hash-old", null, TokenRecord.CreatorSource.UNRESOLVED));

    List<TokenRecord> revoked = store.tokens().revoke(TokenRecord.ROOT_ID, T0.plusSeconds(5));

    assertThat(revoked).extracting(TokenRecord::id).containsExactly(TokenRecord.ROOT_ID, "tok_old");
    assertThat(store.tokens().findByHash(bytes("tok_orphan")).orElseThrow().revokedAt()).isEmpty();
  }

  @Test
  void tokens_create_underARevokedOrUnknownCreator_isRefused() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(token("tok_a", "hash-a", "tok_root", TokenRecord.CreatorSource.RECORDED));
    store.tokens().revoke("tok_a", T0.plusSeconds(1));

    assertThatThrownBy(() ->
            store
                .tokens()
                .create(token("tok_b", "hash-b", "tok_a", TokenRecord.CreatorSource.RECORDED)))
        .isInstanceOf(KeyturnException.Unauthenticated.class);
    assertThatThrownBy(() ->
            store
                .tokens()
                .create(token("tok_c", "hash-c", "tok_none", TokenRecord.CreatorSource.RECORDED)))
        .isInstanceOf(KeyturnException.Unauthenticated.class);
    assertThat(store.tokens().count()).isEqualTo(2);
  }

  @Test
  void tokens_resolveCreator_changesOnlyUnresolvedTokens() {
    store.tokens().create(admin("tok_root"));
    store.tokens().create(token("tok_a", "hash-a", null, TokenRecord.CreatorSource.UNRESOLVED));
    store.tokens().create(token("tok_b", "hash-b", "tok_root", TokenRecord.CreatorSource.RECORDED));

    store.tokens().resolveCreator("tok_a", Optional.of("tok_b"), TokenRecord.CreatorSource.AUDIT);
    store.tokens().resolveCreator("tok_a", Optional.of("tok_x"), TokenRecord.CreatorSource.AUDIT);
    store.tokens().resolveCreator("tok_b", Optional.of("tok_a"), TokenRecord.CreatorSource.AUDIT);

    TokenRecord a = store.tokens().findByHash(bytes("hash-a")).orElseThrow();
    TokenRecord b = store.tokens().findByHash(bytes("hash-b")).orElseThrow();
    assertThat(a.creator()).contains("tok_b");
    assertThat(a.creatorSource()).isEqualTo(TokenRecord.CreatorSource.AUDIT);
    assertThat(b.creator()).contains("tok_root");
    assertThat(b.creatorSource()).isEqualTo(TokenRecord.CreatorSource.RECORDED);
  }

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

  @Test
  void rotations_oneActivePerSecretAndTheirLifecycle() {
    RotationStore rotations = store.rotations();
    Rotation first = rotation("rot_1", NAME, RotationState.CREATE, T0);
    rotations.start(first);

    assertThatThrownBy(() -> rotations.start(rotation("rot_2", NAME, RotationState.CREATE, T0)))
        .isInstanceOf(KeyturnException.RotationInProgress.class)
        .hasMessageContaining("rot_1");
    Rotation saved =
        new Rotation(
            "rot_1",
            NAME,
            RotationState.SET,
            2,
            T0,
            T0.plusSeconds(5),
            T0.plusSeconds(9),
            Optional.of(4),
            false,
            "tok",
            Optional.of("set failed: x"),
            Optional.of(4242L),
            List.of(new Rotation.CheckResult("set command", false, 12, "exited with 1")));
    rotations.save(saved);

    assertThat(rotations.rotation("rot_1")).contains(saved);
    assertThat(rotations.active(NAME)).contains(saved);
    assertThat(rotations.runnable(T0.plusSeconds(8), 10)).isEmpty();
    assertThat(rotations.runnable(T0.plusSeconds(9), 10))
        .extracting(Rotation::id)
        .containsExactly("rot_1");

    rotations.save(rotation("rot_1", NAME, RotationState.FINISHED, T0));
    rotations.start(rotation("rot_3", NAME, RotationState.CREATE, T0.plusSeconds(60)));

    assertThat(rotations.history(NAME, 10))
        .extracting(Rotation::id)
        .containsExactly("rot_3", "rot_1");
    assertThat(rotations.active(NAME)).get().extracting(Rotation::id).isEqualTo("rot_3");
    assertThat(rotations.runnable(T0.plusSeconds(100), 10))
        .extracting(Rotation::id)
        .containsExactly("rot_3");
  }

  @Test
  void rotations_oneNodeAtATimeHoldsTheClaim() {
    RotationStore rotations = store.rotations();
    rotations.start(rotation("rot_9", NAME, RotationState.SET, T0));

    assertThat(rotations.claim("rot_9", "node-a", T0, T0.plusSeconds(60))).isTrue();
    assertThat(rotations.claim("rot_9", "node-b", T0.plusSeconds(10), T0.plusSeconds(70)))
        .isFalse();
    assertThat(rotations.claim("rot_9", "node-a", T0.plusSeconds(10), T0.plusSeconds(70)))
        .as("its own again")
        .isTrue();
    assertThat(rotations.claim("rot_9", "node-b", T0.plusSeconds(71), T0.plusSeconds(131)))
        .as("expired")
        .isTrue();
    rotations.release("rot_9", "node-a");
    assertThat(rotations.claim("rot_9", "node-a", T0.plusSeconds(72), T0.plusSeconds(132)))
        .as("b still holds it")
        .isFalse();
    rotations.release("rot_9", "node-b");
    assertThat(rotations.claim("rot_9", "node-a", T0.plusSeconds(73), T0.plusSeconds(133)))
        .isTrue();
    assertThat(rotations.claim("rot_none", "node-a", T0, T0.plusSeconds(1))).isFalse();
  }

  @Test
  void rules_putReadListDueAndDelete() {
    RotationStore rotations = store.rotations();
    RotationRule rule =
        new RotationRule(
            NAME,
            Generator.parse("hex:32"),
            Optional.of(Schedule.of("3mo", "Europe/Berlin")),
            Duration.ofHours(24),
            Strategy.OVERLAP,
            Duration.ofSeconds(30),
            "command",
            Map.of(
                "set-command", "systemctl reload gunicorn", "test-command", "curl -fsS localhost"),
            "devops",
            "webhook signatures",
            "revalidation fails",
            5,
            Duration.ofSeconds(1),
            java.util.List.of(),
            Optional.empty(),
            false,
            false);
    rotations.putRule(rule, Optional.of(T0.plusSeconds(100)));
    rotations.putRule(
        new RotationRule(
            SecretName.of("other/KEY"),
            Generator.parse("manual"),
            Optional.empty(),
            Duration.ZERO,
            Strategy.MANUAL,
            Duration.ZERO,
            "none",
            Map.of(),
            "",
            "",
            "",
            1,
            Duration.ZERO,
            java.util.List.of(),
            Optional.empty(),
            false,
            false),
        Optional.empty());

    assertThat(rotations.rule(NAME).orElseThrow().rule()).isEqualTo(rule);
    assertThat(rotations.rules("", 10))
        .extracting(e -> e.rule().secret().value())
        .containsExactly("app/production/API_KEY", "other/KEY");
    assertThat(rotations.dueRules(T0.plusSeconds(99), 10)).isEmpty();
    assertThat(rotations.dueRules(T0.plusSeconds(100), 10)).hasSize(1);
    rotations.setNextDue(NAME, Optional.of(T0.plusSeconds(500)));
    assertThat(rotations.rule(NAME).orElseThrow().nextDue()).contains(T0.plusSeconds(500));
    assertThat(rotations.deleteRule(NAME)).isTrue();
    assertThat(rotations.deleteRule(NAME)).isFalse();
    assertThat(rotations.rule(NAME)).isEmpty();
  }

  @Test
  void withExpiredPrevious_findsSecretsWhoseGraceEnded() {
    store.update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
    store.update(NAME, s -> addCurrent(s, "two", Duration.ofHours(1)));

    assertThat(store.withExpiredPrevious(T0.plus(Duration.ofMinutes(59)), 10)).isEmpty();
    assertThat(store.withExpiredPrevious(T0.plus(Duration.ofHours(1)), 10)).containsExactly(NAME);
  }

  private static Rotation rotation(String id, SecretName name, RotationState state, Instant at) {
    return new Rotation(
        id,
        name,
        state,
        0,
        at,
        at,
        at,
        Optional.empty(),
        false,
        "tok",
        Optional.empty(),
        Optional.empty(),
        List.of());
  }

  private static AuditEvent event(String action, String secret, int version) {
    return new AuditEvent(
        T0, "tok_test", "127.0.0.1", action, Optional.of(secret), Optional.of(version), "ok", "");
  }

  private static TokenRecord token(String id, String hash) {
    return token(id, hash, null, TokenRecord.CreatorSource.RECORDED);
  }

  private static TokenRecord token(
      String id, String hash, String creator, TokenRecord.CreatorSource source) {
    return new TokenRecord(
        id,
        id,
        bytes(hash),
        List.of("read:*"),
        T0,
        Optional.empty(),
        Optional.empty(),
        Optional.ofNullable(creator),
        source);
  }

  /** A token holding admin:*, with no creator; its hash is its id. */
  private static TokenRecord admin(String id) {
    return new TokenRecord(
        id,
        id,
        bytes(id),
        List.of("admin:*"),
        T0,
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        TokenRecord.CreatorSource.RECORDED);
  }

  /** Adds a current version holding fake ciphertext {@code "ct-" + value}. */
  protected static SecretChange addCurrent(StoredSecret s, String value, Duration grace) {
    int n = s.versions().nextNumber();
    Version v =
        new Version(
            n, Stage.CURRENT, ValueType.STRING, T0, "tester", Optional.empty(), "fp-" + value);
    return new SecretChange(
        s.versions().add(v, grace, T0),
        Map.of(n, bytes("ct-" + value)),
        s.wrappedDataKey().isPresent() ? Optional.empty() : Optional.of(bytes("dk")),
        false);
  }

  private static List<String> names(List<StoredSecret> secrets) {
    return secrets.stream().map(s -> s.name().value()).toList();
  }

  protected static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
