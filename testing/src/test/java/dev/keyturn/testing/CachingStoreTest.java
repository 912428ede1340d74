package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.Plaintext;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.CachingStore;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.SecretChange;
import dev.keyturn.core.spi.SecretStore;
import dev.keyturn.core.spi.SettingStore;
import dev.keyturn.core.spi.Store;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.core.spi.TokenStore;
import dev.keyturn.core.spi.UnitOfWork;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The read cache stays within its entry and byte bounds, and reads stay right across a reset; what
 * another writer changes is served again only after an invalidation, or once the entry is too old,
 * and never while the cache is told it may not serve.
 */
class CachingStoreTest {
  private final FixedClock clock = new FixedClock(Instant.parse("2026-06-01T00:00:00Z"));
  private final SecureRandom random = new SecureRandom();
  private final InMemoryStore store = new InMemoryStore(clock);
  private final Envelope envelope = new Envelope(RootKey.generate(random), random);

  @Test
  void byteBound_isNeverExceeded_andEveryReadStaysRight() {
    CachingStore cache = new CachingStore(store, 1_000, 64 * 1024);
    SecretService service = new SecretService(cache, envelope, clock);
    String big = "v".repeat(8 * 1024);
    for (int i = 0; i < 40; i++) {
      put(service, "cache/bytes/" + i, big + i);
    }
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 40; i++) {
        assertThat(text(service.read(SecretName.of("cache/bytes/" + i), Selector.current(), false)))
            .isEqualTo(big + i);
        assertThat(cache.bytes()).isLessThanOrEqualTo(64 * 1024);
      }
    }
    assertThat(cache.size()).isPositive().isLessThan(40);
  }

  @Test
  void entryBound_isNeverExceeded_andAWriteIsSeenAtOnce() {
    CachingStore cache = new CachingStore(store, 5);
    SecretService service = new SecretService(cache, envelope, clock);
    for (int i = 0; i < 12; i++) {
      put(service, "cache/entries/" + i, "a" + i);
      service.read(SecretName.of("cache/entries/" + i), Selector.current(), false);
      assertThat(cache.size()).isLessThanOrEqualTo(5);
    }
    put(service, "cache/entries/11", "b11");
    assertThat(text(service.read(SecretName.of("cache/entries/11"), Selector.current(), false)))
        .isEqualTo("b11");
    assertThat(cache.bytes()).isPositive();
  }

  @Test
  void invalidate_afterAnotherWriter_nextReadSeesItsWrite() {
    CachingStore cache = new CachingStore(store, 100);
    SecretService node = new SecretService(cache, envelope, clock);
    SecretService other = new SecretService(store, envelope, clock);
    put(other, "cache/other/a", "v1");
    String first = read(node, "cache/other/a");
    put(other, "cache/other/a", "v2");
    String cached = read(node, "cache/other/a");
    cache.invalidate("cache/other/a");
    String after = read(node, "cache/other/a");

    assertThat(first).isEqualTo("v1");
    assertThat(cached).as("served from memory: why invalidation exists").isEqualTo("v1");
    assertThat(after).isEqualTo("v2");
  }

  @Test
  void notServing_readsGoToTheStore_andNothingIsCached() {
    AtomicBoolean serving = new AtomicBoolean(false);
    CachingStore cache =
        new CachingStore(
            store, 100, 1 << 20, Duration.ofSeconds(30), System::nanoTime, serving::get);
    SecretService node = new SecretService(cache, envelope, clock);
    SecretService other = new SecretService(store, envelope, clock);
    put(other, "cache/gate/a", "v1");
    String whileClosed = read(node, "cache/gate/a");
    int heldWhileClosed = cache.size();
    put(other, "cache/gate/a", "v2");
    String stillClosed = read(node, "cache/gate/a");
    serving.set(true);
    String opened = read(node, "cache/gate/a");

    assertThat(whileClosed).isEqualTo("v1");
    assertThat(heldWhileClosed).isZero();
    assertThat(stillClosed).isEqualTo("v2");
    assertThat(opened).isEqualTo("v2");
    assertThat(cache.size()).isEqualTo(1);
  }

  @Test
  void invalidateAll_whileAReadIsLoading_keepsWhatItLoadedOutOfTheCache() {
    SecretService other = new SecretService(store, envelope, clock);
    put(other, "cache/race/a", "v1");
    CachingStore[] cache = new CachingStore[1];
    // Another node's write commits, and its invalidation arrives, after the read loaded v1 and
    // before it could cache it.
    Store racing =
        new RacingStore(
            store,
            () -> {
              put(other, "cache/race/a", "v2");
              cache[0].invalidateAll();
            });
    cache[0] = new CachingStore(racing, 100);
    SecretService node = new SecretService(cache[0], envelope, clock);

    String during = read(node, "cache/race/a");
    String after = read(node, "cache/race/a");

    assertThat(during).as("the read began before the write").isEqualTo("v1");
    assertThat(after).isEqualTo("v2");
  }

  @Test
  void invalidate_whileAReadIsLoading_keepsWhatItLoadedOutOfTheCache() {
    SecretService other = new SecretService(store, envelope, clock);
    put(other, "cache/race/b", "v1");
    CachingStore[] cache = new CachingStore[1];
    Store racing =
        new RacingStore(
            store,
            () -> {
              put(other, "cache/race/b", "v2");
              cache[0].invalidate("cache/race/b");
            });
    cache[0] = new CachingStore(racing, 100);
    SecretService node = new SecretService(cache[0], envelope, clock);

    String during = read(node, "cache/race/b");
    String after = read(node, "cache/race/b");

    assertThat(during).isEqualTo("v1");
    assertThat(after).isEqualTo("v2");
  }

  @Test
  void entryOlderThanMaxAge_isReadAgain() {
    AtomicLong nanos = new AtomicLong();
    CachingStore cache =
        new CachingStore(store, 100, 1 << 20, Duration.ofSeconds(30), nanos::get, () -> true);
    SecretService node = new SecretService(cache, envelope, clock);
    SecretService outside = new SecretService(store, envelope, clock);
    put(outside, "cache/age/a", "v1");
    read(node, "cache/age/a");
    put(outside, "cache/age/a", "v2");
    nanos.addAndGet(Duration.ofSeconds(29).toNanos());
    String young = read(node, "cache/age/a");
    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    String old = read(node, "cache/age/a");

    assertThat(young).isEqualTo("v1");
    assertThat(old).isEqualTo("v2");
  }

  private String read(SecretService service, String name) {
    return text(service.read(SecretName.of(name), Selector.current(), false));
  }

  /** A store whose first secret lookup runs {@code race} after it has read the row. */
  private static final class RacingStore implements Store {
    private final Store store;
    private final SecretStore secrets;

    RacingStore(Store store, Runnable race) {
      this.store = store;
      AtomicBoolean ran = new AtomicBoolean();
      SecretStore inner = store.secrets();
      this.secrets =
          new SecretStore() {
            @Override
            public StoredSecret update(
                SecretName name, Function<StoredSecret, SecretChange> change) {
              return inner.update(name, change);
            }

            @Override
            public Optional<StoredSecret> find(SecretName name) {
              Optional<StoredSecret> found = inner.find(name);
              if (ran.compareAndSet(false, true)) {
                race.run();
              }
              return found;
            }

            @Override
            public Optional<byte[]> ciphertext(long secretId, int version) {
              return inner.ciphertext(secretId, version);
            }

            @Override
            public List<StoredSecret> list(String prefix, Optional<String> after, int limit) {
              return inner.list(prefix, after, limit);
            }

            @Override
            public List<SecretName> withExpiredPrevious(Instant now, int limit) {
              return inner.withExpiredPrevious(now, limit);
            }
          };
    }

    @Override
    public SecretStore secrets() {
      return secrets;
    }

    @Override
    public TokenStore tokens() {
      return store.tokens();
    }

    @Override
    public RotationStore rotations() {
      return store.rotations();
    }

    @Override
    public SettingStore settings() {
      return store.settings();
    }

    @Override
    public dev.keyturn.core.spi.ConsumerStore consumers() {
      return store.consumers();
    }

    @Override
    public AuditLog openAuditLog(dev.keyturn.core.audit.AuditChain chain) {
      return store.openAuditLog(chain);
    }

    @Override
    public boolean isEmpty() {
      return store.isEmpty();
    }

    @Override
    public <T> T inTransaction(Function<UnitOfWork, T> work) {
      return store.inTransaction(work);
    }

    @Override
    public void close() {
      store.close();
    }
  }

  private static void put(SecretService service, String name, String value) {
    service.inTransaction(w ->
        service.put(
            w,
            SecretName.of(name),
            Plaintext.ofUtf8(value),
            ValueType.STRING,
            Duration.ZERO,
            Stage.CURRENT,
            "tok_test"));
  }

  private static String text(SecretValue v) {
    return new String(v.plaintext().reveal(), StandardCharsets.UTF_8);
  }
}
