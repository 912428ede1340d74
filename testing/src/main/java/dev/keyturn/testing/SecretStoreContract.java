package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Version;
import dev.keyturn.core.VersionSet;
import dev.keyturn.core.spi.SecretChange;
import dev.keyturn.core.spi.SecretStore;
import dev.keyturn.core.spi.StoredSecret;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link SecretStore} must have (secrets and versions). A backend's test
 * extends this class and returns a new, empty store from {@link #newStore()}; the in-memory fake,
 * SQLite and PostgreSQL all run it.
 */
public abstract class SecretStoreContract extends StoreFixture {
  @Test
  void update_newSecret_storesVersionCiphertextAndDataKey() {
    StoredSecret after = store.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));

    StoredSecret found = store.secrets().find(NAME).orElseThrow();
    assertThat(found.id()).isEqualTo(after.id());
    assertThat(found.wrappedDataKey()).get().satisfies(dk -> assertThat(dk).isEqualTo(bytes("dk")));
    assertThat(found.versions().versions()).hasSize(1);
    Version v1 = found.versions().current().orElseThrow();
    assertThat(v1.number()).isEqualTo(1);
    assertThat(v1.createdBy()).isEqualTo("tester");
    assertThat(v1.fingerprint()).isEqualTo("fp-one");
    assertThat(store.secrets().ciphertext(found.id(), 1)).get().isEqualTo(bytes("ct-one"));
  }

  @Test
  void update_secondVersionWithGrace_keepsPreviousWithAcceptUntil() {
    store.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));

    store.secrets().update(NAME, s -> addCurrent(s, "two", Duration.ofHours(24)));

    VersionSet versions = store.secrets().find(NAME).orElseThrow().versions();
    assertThat(versions.current().orElseThrow().number()).isEqualTo(2);
    Version previous = versions.version(1).orElseThrow();
    assertThat(previous.stage()).isEqualTo(Stage.PREVIOUS);
    assertThat(previous.acceptUntil()).contains(T0.plus(Duration.ofHours(24)));
  }

  @Test
  void update_changeThrows_writesNothing() {
    assertThatThrownBy(() ->
            store
                .secrets()
                .update(
                    NAME,
                    s -> {
                      throw new IllegalStateException("refused");
                    }))
        .hasMessage("refused");

    assertThat(store.secrets().find(NAME)).isEmpty();
    assertThat(store.isEmpty()).isTrue();
  }

  @Test
  void update_changeThrowsOnExistingSecret_keepsItAsItWas() {
    store.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));

    assertThatThrownBy(() ->
            store
                .secrets()
                .update(
                    NAME,
                    s -> {
                      addCurrent(s, "two", Duration.ZERO);
                      throw new IllegalStateException("refused");
                    }))
        .hasMessage("refused");

    assertThat(store.secrets().find(NAME).orElseThrow().versions().versions()).hasSize(1);
  }

  @Test
  void update_removingAVersion_isRefused() {
    store.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));

    assertThatThrownBy(
            () -> store.secrets().update(NAME, s -> SecretChange.stages(VersionSet.empty(NAME))))
        .isInstanceOf(IllegalStateException.class);

    assertThat(store.secrets().find(NAME).orElseThrow().versions().versions()).hasSize(1);
  }

  @Test
  void update_stageChange_persists() {
    store.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
    store.secrets().update(NAME, s -> addCurrent(s, "two", Duration.ofHours(1)));

    store
        .secrets()
        .update(
            NAME, s -> SecretChange.stages(s.versions().move(1, Stage.RETIRED, Duration.ZERO, T0)));

    assertThat(store.secrets().find(NAME).orElseThrow().versions().version(1).orElseThrow().stage())
        .isEqualTo(Stage.RETIRED);
  }

  @Test
  void update_destroy_erasesCiphertextsAndDataKeyButKeepsMetadata() {
    StoredSecret stored = store.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));

    store
        .secrets()
        .update(
            NAME,
            s -> new SecretChange(s.versions().retireAll(), Map.of(), Optional.empty(), true));

    StoredSecret found = store.secrets().find(NAME).orElseThrow();
    assertThat(found.destroyed()).isTrue();
    assertThat(found.wrappedDataKey()).isEmpty();
    assertThat(store.secrets().ciphertext(stored.id(), 1)).isEmpty();
    assertThat(found.versions().version(1).orElseThrow().stage()).isEqualTo(Stage.RETIRED);
  }

  @Test
  void update_afterDestroy_takesNewDataKeyAndNextNumber() {
    store.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
    store
        .secrets()
        .update(
            NAME,
            s -> new SecretChange(s.versions().retireAll(), Map.of(), Optional.empty(), true));

    store.secrets().update(NAME, s -> addCurrent(s, "two", Duration.ZERO));

    StoredSecret found = store.secrets().find(NAME).orElseThrow();
    assertThat(found.destroyed()).isFalse();
    assertThat(found.wrappedDataKey()).isPresent();
    assertThat(found.versions().current().orElseThrow().number()).isEqualTo(2);
  }

  @Test
  void ciphertexts_manySecrets_whatCiphertextGivesForEachAskedVersion() {
    StoredSecret a = store.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
    store.secrets().update(NAME, s -> addCurrent(s, "two", Duration.ZERO));
    SecretName otherName = SecretName.of("other/secret");
    StoredSecret b = store.secrets().update(otherName, s -> addCurrent(s, "three", Duration.ZERO));
    store
        .secrets()
        .update(
            otherName,
            s -> new SecretChange(s.versions().retireAll(), Map.of(), Optional.empty(), true));

    Map<Long, Map<Integer, byte[]>> found =
        store
            .secrets()
            .ciphertexts(Map.of(a.id(), List.of(2), b.id(), List.of(1), 12345L, List.of(1)));

    assertThat(found).containsOnlyKeys(a.id());
    assertThat(found.get(a.id())).containsOnlyKeys(2);
    assertThat(found.get(a.id()).get(2)).isEqualTo(bytes("ct-two"));
  }

  @Test
  void find_unknownName_isEmpty() {
    assertThat(store.secrets().find(SecretName.of("nobody/here"))).isEmpty();
    assertThat(store.secrets().ciphertext(12345, 1)).isEmpty();
  }

  @Test
  void list_filtersByPrefixPagesInNameOrderAndHidesDeleted() {
    for (String n : List.of("b/x", "a/2", "a/1", "a/3", "ab/1", "c")) {
      store.secrets().update(SecretName.of(n), s -> addCurrent(s, n, Duration.ZERO));
    }
    store
        .secrets()
        .update(SecretName.of("a/3"), s -> SecretChange.stages(s.versions().retireAll()));

    List<String> firstPage = names(store.secrets().list("a/", Optional.empty(), 1));
    List<String> secondPage = names(store.secrets().list("a/", Optional.of("a/1"), 10));
    List<String> all = names(store.secrets().list("", Optional.empty(), 100));

    assertThat(firstPage).containsExactly("a/1");
    assertThat(secondPage).containsExactly("a/2");
    assertThat(all).containsExactly("a/1", "a/2", "ab/1", "b/x", "c");
  }

  @Test
  void names_areTheNamesListWouldGive_pageByPage() {
    for (String n : List.of("b/x", "a/2", "a/1", "a/3", "ab/1", "c", "a/10", "a/9")) {
      store.secrets().update(SecretName.of(n), s -> addCurrent(s, n, Duration.ZERO));
    }
    store
        .secrets()
        .update(SecretName.of("a/3"), s -> SecretChange.stages(s.versions().retireAll()));

    List<SecretName> firstPage = store.secrets().names("a/", Optional.empty(), 2);
    List<SecretName> secondPage = store.secrets().names("a/", Optional.of("a/10"), 10);
    List<SecretName> all = store.secrets().names("", Optional.empty(), 100);

    assertThat(firstPage).extracting(SecretName::value).containsExactly("a/1", "a/10");
    assertThat(secondPage).extracting(SecretName::value).containsExactly("a/2", "a/9");
    assertThat(all.stream().map(SecretName::value).toList())
        .isEqualTo(names(store.secrets().list("", Optional.empty(), 100)));
  }

  @Test
  void list_isCaseSensitiveBinaryOrder() {
    for (String n : List.of("app/b", "app/B", "App/a")) {
      store.secrets().update(SecretName.of(n), s -> addCurrent(s, n, Duration.ZERO));
    }

    assertThat(names(store.secrets().list("", Optional.empty(), 10)))
        .containsExactly("App/a", "app/B", "app/b");
    assertThat(names(store.secrets().list("app/", Optional.empty(), 10)))
        .containsExactly("app/B", "app/b");
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
              store.secrets().update(NAME, s -> addCurrent(s, value, Duration.ofHours(1)));
            }
          }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();

    StoredSecret found = store.secrets().find(NAME).orElseThrow();
    List<Version> versions = found.versions().versions();
    assertThat(versions).hasSize(threads * perThread);
    assertThat(versions).extracting(Version::number).doesNotHaveDuplicates();
    assertThat(versions.stream().filter(v -> v.stage() == Stage.CURRENT)).hasSize(1);
    assertThat(versions).extracting(Version::fingerprint).doesNotHaveDuplicates();
    for (Version v : versions) {
      assertThat(store.secrets().ciphertext(found.id(), v.number())).isPresent();
    }
  }

  @Test
  void withExpiredPrevious_findsSecretsWhoseGraceEnded() {
    store.secrets().update(NAME, s -> addCurrent(s, "one", Duration.ZERO));
    store.secrets().update(NAME, s -> addCurrent(s, "two", Duration.ofHours(1)));

    assertThat(store.secrets().withExpiredPrevious(T0.plus(Duration.ofMinutes(59)), 10)).isEmpty();
    assertThat(store.secrets().withExpiredPrevious(T0.plus(Duration.ofHours(1)), 10))
        .containsExactly(NAME);
  }
}
