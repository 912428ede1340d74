package dev.keyturn.server;

import dev.keyturn.core.spi.CachingStore;
import dev.keyturn.core.spi.Store;
import dev.keyturn.store.ChangeFeed;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The server's read cache ({@link CachingStore}: secrets' metadata and ciphertexts, never a value)
 * and, on PostgreSQL, how other nodes' writes reach it: through the node's {@link ChangeFeed}, each
 * committed write of a secret drops it; a failed listening connection drops everything, and so does
 * listening again. The cache serves only while the feed has caught up within {@link #BOUND}, so a
 * write acknowledged on any node is never served stale here more than {@code BOUND} after its
 * acknowledgement; while the feed is behind or reconnecting, reads go to the database. Every entry
 * is read again after {@link CachingStore#DEFAULT_MAX_AGE} (rows changed outside Keyturn announce
 * nothing).
 */
final class ReadCache {
  /** How long after a write's acknowledgement another node may still serve what it replaced. */
  static final Duration BOUND = Duration.ofSeconds(1);

  /** How often the feed checks how far it has caught up: well inside {@link #BOUND}. */
  static final Duration PING_EVERY = Duration.ofMillis(200);

  static final int MAX_ENTRIES = 100_000;

  private ReadCache() {}

  /**
   * A cache over {@code store}, invalidated by {@code feed} when there is one (subscribe it before
   * the feed starts), with its gauges in {@code registry}.
   */
  static CachingStore over(Store store, Optional<ChangeFeed> feed, MeterRegistry registry) {
    BooleanSupplier current =
        feed.<BooleanSupplier>map(f -> () -> f.caughtUpWithin(BOUND)).orElse(() -> true);
    CachingStore cache =
        new CachingStore(
            store,
            MAX_ENTRIES,
            CachingStore.DEFAULT_MAX_BYTES,
            CachingStore.DEFAULT_MAX_AGE,
            System::nanoTime,
            current);
    feed.ifPresent(f -> f.subscribe(new Invalidation(cache)));
    Gauge.builder("keyturn.cache.secrets", cache, CachingStore::size)
        .description("Secrets whose metadata and ciphertexts the read cache holds.")
        .register(registry);
    Gauge.builder("keyturn.cache.bytes", cache, CachingStore::bytes)
        .description(
            "Bytes of metadata and ciphertext the read cache holds, by its own estimate (bounded"
                + " at "
                + CachingStore.DEFAULT_MAX_BYTES
                + ").")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("keyturn.cache.serving", current, c -> c.getAsBoolean() ? 1 : 0)
        .description(
            "1 when the read cache may serve; 0 while it cannot vouch that other nodes' writes"
                + " reached it (listening connection lost or behind): reads go to the database.")
        .register(registry);
    return cache;
  }

  /** What the feed tells the cache. */
  private record Invalidation(CachingStore cache) implements ChangeFeed.Subscriber {
    @Override
    public void notified(Optional<String> name) {
      name.ifPresent(cache::invalidate);
    }

    @Override
    public void lost() {
      cache.invalidateAll();
    }

    @Override
    public void relistened() {
      cache.invalidateAll();
    }
  }
}
