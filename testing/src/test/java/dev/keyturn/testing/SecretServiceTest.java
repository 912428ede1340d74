package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.StoredSecret;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** SecretService over the in-memory store: encryption, stages, grace windows, tampering. */
class SecretServiceTest {
  private static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");
  private static final SecretName NAME = SecretName.of("leather-api/production/REVALIDATE_SECRET");
  private static final SecretName OTHER = SecretName.of("leather-api/production/ANALYTICS_SECRET");

  private final FixedClock clock = new FixedClock(T0);
  private final InMemoryStore store = new InMemoryStore(clock);
  private final SecureRandom random = new SecureRandom();
  private final SecretService service =
      new SecretService(store, new Envelope(RootKey.generate(random), random), clock);

  @Test
  void put_thenRead_returnsValueAndMetadata() {
    Version v = put(NAME, "first-value", Duration.ZERO);

    SecretValue read = service.read(NAME, Selector.current(), false);

    assertThat(v.number()).isEqualTo(1);
    assertThat(v.stage()).isEqualTo(Stage.CURRENT);
    assertThat(v.createdBy()).isEqualTo("tok_test");
    assertThat(text(read)).isEqualTo("first-value");
    assertThat(read.version().fingerprint()).isEqualTo(v.fingerprint());
  }

  @Test
  void put_withGrace_keepsPreviousReadableUntilGraceEnds() {
    put(NAME, "old", Duration.ZERO);
    put(NAME, "new", Duration.ofHours(24));

    assertThat(text(service.read(NAME, Selector.stage(Stage.PREVIOUS), false))).isEqualTo("old");
    assertThat(service.keyring(NAME)).extracting(this::text).containsExactly("new", "old");

    clock.advance(Duration.ofHours(24));

    assertThatThrownBy(() -> service.read(NAME, Selector.stage(Stage.PREVIOUS), false))
        .isInstanceOf(KeyturnException.NotFound.class);
    assertThat(service.keyring(NAME)).extracting(this::text).containsExactly("new");
  }

  @Test
  void read_retiredByNumber_needsAdmin() {
    put(NAME, "old", Duration.ZERO);
    put(NAME, "new", Duration.ZERO);

    assertThatThrownBy(() -> service.read(NAME, Selector.version(1), false))
        .isInstanceOf(KeyturnException.Forbidden.class)
        .hasMessageContaining("#1 is retired");
    assertThat(text(service.read(NAME, Selector.version(1), true))).isEqualTo("old");
  }

  @Test
  void keyring_showsPendingFromTheMomentItIsStored() {
    put(NAME, "live", Duration.ZERO);
    service.inTransaction(w ->
        service.put(
            w,
            NAME,
            Plaintext.ofUtf8("next"),
            ValueType.STRING,
            Duration.ZERO,
            Stage.PENDING,
            "tok_test"));

    List<SecretValue> ring = service.keyring(NAME);

    assertThat(ring)
        .extracting(v -> v.version().stage())
        .containsExactly(Stage.PENDING, Stage.CURRENT);
    assertThat(text(service.read(NAME, Selector.current(), false))).isEqualTo("live");
    assertThat(text(service.read(NAME, Selector.stage(Stage.PENDING), false))).isEqualTo("next");
  }

  @Test
  void move_promotePending_makesItCurrent() {
    put(NAME, "live", Duration.ZERO);
    service.inTransaction(w ->
        service.put(
            w,
            NAME,
            Plaintext.ofUtf8("next"),
            ValueType.STRING,
            Duration.ZERO,
            Stage.PENDING,
            "tok_test"));

    service.inTransaction(
        w -> service.move(w, NAME, 2, Stage.CURRENT, Duration.ofHours(1), "tok_test"));

    assertThat(text(service.read(NAME, Selector.current(), false))).isEqualTo("next");
    assertThat(text(service.read(NAME, Selector.stage(Stage.PREVIOUS), false))).isEqualTo("live");
  }

  @Test
  void move_previousToCurrentWithoutRollBack_isForbiddenAndChangesNothing() {
    put(NAME, "old", Duration.ZERO);
    put(NAME, "new", Duration.ofHours(24));

    assertThatThrownBy(() ->
            service.inTransaction(
                w -> service.move(w, NAME, 1, Stage.CURRENT, Duration.ZERO, "tok_test", false)))
        .isInstanceOf(KeyturnException.Forbidden.class)
        .hasMessageContaining("previous -> current needs the admin capability");
    assertThat(text(service.read(NAME, Selector.current(), false))).isEqualTo("new");

    service.inTransaction(
        w -> service.move(w, NAME, 1, Stage.CURRENT, Duration.ZERO, "tok_test", true));

    assertThat(text(service.read(NAME, Selector.current(), false))).isEqualTo("old");
  }

  @Test
  void move_pendingToCurrentWithoutRollBack_isAllowed() {
    put(NAME, "live", Duration.ZERO);
    service.inTransaction(w ->
        service.put(
            w,
            NAME,
            Plaintext.ofUtf8("next"),
            ValueType.STRING,
            Duration.ZERO,
            Stage.PENDING,
            "tok_test"));

    service.inTransaction(
        w -> service.move(w, NAME, 2, Stage.CURRENT, Duration.ZERO, "tok_test", false));

    assertThat(text(service.read(NAME, Selector.current(), false))).isEqualTo("next");
  }

  @Test
  void delete_retiresAllAndDestroyErasesValues() {
    put(NAME, "v1", Duration.ZERO);
    put(NAME, "v2", Duration.ofHours(1));

    service.inTransaction(w -> service.delete(w, NAME, false, "tok_test"));

    assertThatThrownBy(() -> service.read(NAME, Selector.current(), true))
        .isInstanceOf(KeyturnException.NotFound.class);
    assertThat(text(service.read(NAME, Selector.version(2), true))).isEqualTo("v2");
    assertThat(store.secrets().list("", Optional.empty(), 10)).isEmpty();

    service.inTransaction(w -> service.delete(w, NAME, true, "tok_test"));

    assertThatThrownBy(() -> service.read(NAME, Selector.version(2), true))
        .isInstanceOf(KeyturnException.NotFound.class)
        .hasMessageContaining("destroyed");
  }

  @Test
  void put_afterDestroy_continuesNumbering() {
    put(NAME, "v1", Duration.ZERO);
    service.inTransaction(w -> service.delete(w, NAME, true, "tok_test"));

    Version v = put(NAME, "v2", Duration.ZERO);

    assertThat(v.number()).isEqualTo(2);
    assertThat(text(service.read(NAME, Selector.current(), false))).isEqualTo("v2");
  }

  @Test
  void read_ciphertextSwappedBetweenVersions_isRefused() {
    put(NAME, "one", Duration.ZERO);
    put(NAME, "two", Duration.ofHours(1));
    StoredSecret s = store.secrets().find(NAME).orElseThrow();
    byte[] v1 = store.secrets().ciphertext(s.id(), 1).orElseThrow();

    store.tamper(NAME, 2, v1);

    assertThatThrownBy(() -> service.read(NAME, Selector.current(), false))
        .isInstanceOf(KeyturnException.IntegrityFailure.class)
        .hasMessageNotContaining("one");
  }

  @Test
  void read_ciphertextSwappedBetweenSecrets_isRefused() {
    put(NAME, "mine", Duration.ZERO);
    put(OTHER, "theirs", Duration.ZERO);
    byte[] theirs =
        store.secrets().ciphertext(store.secrets().find(OTHER).orElseThrow().id(), 1).orElseThrow();

    store.tamper(NAME, 1, theirs);

    assertThatThrownBy(() -> service.read(NAME, Selector.current(), false))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  @Test
  void read_flippedBitInStoredCiphertext_isRefused() {
    put(NAME, "value", Duration.ZERO);
    StoredSecret s = store.secrets().find(NAME).orElseThrow();
    byte[] ct = store.secrets().ciphertext(s.id(), 1).orElseThrow();
    ct[ct.length / 2] ^= 1;

    store.tamper(NAME, 1, ct);

    assertThatThrownBy(() -> service.read(NAME, Selector.current(), false))
        .isInstanceOf(KeyturnException.IntegrityFailure.class);
  }

  @Test
  void put_emptyOrNonUtf8Value_isRefusedAndWritesNothing() {
    assertThatThrownBy(() ->
            service.inTransaction(w ->
                service.put(
                    w,
                    NAME,
                    Plaintext.ofUtf8(""),
                    ValueType.STRING,
                    Duration.ZERO,
                    Stage.CURRENT,
                    "t")))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(() ->
            service.inTransaction(w ->
                service.put(
                    w,
                    NAME,
                    Plaintext.wrap(new byte[] {(byte) 0xc3}),
                    ValueType.STRING,
                    Duration.ZERO,
                    Stage.CURRENT,
                    "t")))
        .isInstanceOf(KeyturnException.InvalidInput.class);

    assertThat(store.secrets().find(NAME)).isEmpty();
  }

  @Test
  void put_concurrentWriters_loseNothing() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      futures.add(
          pool.submit(() -> {
            for (int i = 0; i < 25; i++) {
              put(NAME, "value-" + thread + "-" + i, Duration.ofHours(1));
            }
          }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();

    List<SecretValue> ring = service.keyring(NAME);

    assertThat(ring).hasSize(200);
    assertThat(ring).extracting(this::text).doesNotHaveDuplicates();
  }

  @Test
  void read_unknown_isNotFound() {
    assertThatThrownBy(() -> service.read(NAME, Selector.current(), false))
        .isInstanceOf(KeyturnException.NotFound.class)
        .hasMessage(NAME + " does not exist");
  }

  private Version put(SecretName name, String value, Duration grace) {
    return service
        .inTransaction(w ->
            service.put(
                w,
                name,
                Plaintext.ofUtf8(value),
                ValueType.STRING,
                grace,
                Stage.CURRENT,
                "tok_test"))
        .newest();
  }

  private String text(SecretValue v) {
    return new String(v.plaintext().reveal(), StandardCharsets.UTF_8);
  }
}
