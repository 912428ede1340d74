package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A {@link Store} whose {@link #secrets()} keep what reads need in memory: each secret's metadata
 * and its versions' ciphertexts (never a value: the cache holds exactly what the disk holds).
 * Writes, alone or in a {@link UnitOfWork}, go through to the store and drop the secrets they
 * touched from the cache once the transaction has ended. Every other role passes through.
 *
 * <p>Writes by other processes are seen only through {@link #invalidate} and {@link
 * #invalidateAll}, called by whoever learns of them (on PostgreSQL, the node's change listener),
 * and while {@code serving} says those calls may be behind, reads go to the store and nothing is
 * cached. A read that raced with a write or an invalidation never caches what it read: every write
 * and invalidation bumps the secret's generation (shared by the names in its stripe) before it
 * drops the entry ({@link #invalidateAll} bumps a generation of the whole cache), and a read caches
 * its result only if the generations it started with are still current. An entry is served for at
 * most {@code maxAge} after it was read, then read again (and checked again, on a protected store),
 * so that a row changed outside Keyturn, which no one announces, is not served from memory for
 * longer.
 *
 * <p>Thread-safe. Holds at most {@code maxEntries} secrets and about {@code maxBytes} bytes (the
 * ciphertexts plus an estimate of {@value #ENTRY_BYTES} bytes a secret for its metadata); past
 * either it starts over. {@link #size()} and {@link #bytes()} say what it holds now; the byte count
 * is an estimate that concurrent writes may skew until the cache next starts over.
 */
public final class CachingStore implements Store {
  /** The estimated heap a cached secret's metadata takes, ciphertexts aside. */
  static final int ENTRY_BYTES = 1024;

  private static final int STRIPES = 4096;

  /** The default byte bound: small next to the server's default heap (bin/keyturn). */
  public static final long DEFAULT_MAX_BYTES = 16L << 20;

  /** The default longest time an entry is served before it is read again. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(30);

  private final Store store;
  private final int limit;
  private final long maxBytes;
  private final long maxAgeNanos;
  private final LongSupplier nanoTime;
  private final BooleanSupplier serving;
  private final AtomicLong epoch = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final Map<String, Entry> byName = new ConcurrentHashMap<>();
  private final Map<Long, Entry> byId = new ConcurrentHashMap<>();
  // Bumped by every drop of a name hashing to the stripe: a fixed size, however many names are
  // dropped, at the price of a read now and then not cached for a drop of another name.
  private final AtomicLongArray generations = new AtomicLongArray(STRIPES);
  private final SecretStore secrets = new CachedSecrets();

  public CachingStore(Store store, int maxEntries) {
    this(store, maxEntries, DEFAULT_MAX_BYTES);
  }

  public CachingStore(Store store, int maxEntries, long maxBytes) {
    this(store, maxEntries, maxBytes, DEFAULT_MAX_AGE, System::nanoTime, () -> true);
  }

  /**
   * A cache that serves from memory only while {@code serving} is true (read before every use of an
   * entry), each entry for at most {@code maxAge} by {@code nanoTime}.
   */
  public CachingStore(
      Store store,
      int maxEntries,
      long maxBytes,
      Duration maxAge,
      LongSupplier nanoTime,
      BooleanSupplier serving) {
    this.store = requireNonNull(store, "store");
    this.limit = maxEntries;
    this.maxBytes = maxBytes;
    this.maxAgeNanos = maxAge.toNanos();
    this.nanoTime = requireNonNull(nanoTime, "nanoTime");
    this.serving = requireNonNull(serving, "serving");
  }

  /** Drops {@code name} from the cache: another process changed it. */
  public void invalidate(String name) {
    drop(requireNonNull(name, "name"));
  }

  /**
   * Drops everything, and keeps reads in flight from caching what they read: changes may have been
   * missed.
   */
  public void invalidateAll() {
    epoch.incrementAndGet();
    startOver();
  }

  /** The number of secrets cached now. */
  public int size() {
    return byName.size();
  }

  /** The estimated bytes cached now: ciphertexts, plus {@value #ENTRY_BYTES} a secret. */
  public long bytes() {
    return Math.max(0, bytes.get());
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
  public ConsumerStore consumers() {
    return store.consumers();
  }

  @Override
  public AuditLog openAuditLog(AuditChain chain) {
    return store.openAuditLog(chain);
  }

  @Override
  public void protect(Envelope envelope) {
    store.protect(envelope);
  }

  /** Sweeps the store underneath: a cached secret is checked as stored, not as cached. */
  @Override
  public SweepResult sweep() {
    return store.sweep();
  }

  @Override
  public boolean isEmpty() {
    return store.isEmpty();
  }

  @Override
  public <T> T inTransaction(Function<UnitOfWork, T> work) {
    Set<String> touched = new HashSet<>();
    try {
      return store.inTransaction(unit -> work.apply(new TrackingUnit(unit, touched)));
    } finally {
      touched.forEach(this::drop);
    }
  }

  @Override
  public void close() {
    store.close();
  }

  private void drop(String name) {
    generations.incrementAndGet(stripe(name));
    Entry dropped = byName.remove(name);
    if (dropped != null) {
      byId.remove(dropped.secret.id());
      bytes.addAndGet(-dropped.bytes.get());
    }
  }

  private void startOver() {
    byName.clear();
    byId.clear();
    bytes.set(0);
  }

  /** Whether nothing was dropped since {@code stamp} was taken for {@code name}. */
  private boolean unchanged(String name, Stamp stamp) {
    return epoch.get() == stamp.epoch && generations.get(stripe(name)) == stamp.generation;
  }

  private static int stripe(String name) {
    return name.hashCode() & (STRIPES - 1);
  }

  /** What a read notes before it goes to the store, to tell whether it raced with a drop. */
  private Stamp stamp(String name) {
    long at = epoch.get();
    return new Stamp(at, generations.get(stripe(name)), nanoTime.getAsLong());
  }

  /** The live entry for {@code name}: serving, not too old. */
  private Entry live(Entry entry) {
    if (entry == null || nanoTime.getAsLong() - entry.readAt >= maxAgeNanos) {
      return null;
    }
    return entry;
  }

  private void remember(String name, Stamp stamp, StoredSecret secret) {
    if (byName.size() >= limit || bytes.get() + ENTRY_BYTES > maxBytes) {
      startOver();
    }
    byName.compute(
        name,
        (k, old) -> {
          if (!unchanged(name, stamp)) {
            return old;
          }
          if (old != null) {
            byId.remove(old.secret.id());
          }
          Entry entry =
              new Entry(
                  secret, new ConcurrentHashMap<>(), new AtomicLong(ENTRY_BYTES), stamp.nanos);
          byId.put(secret.id(), entry);
          bytes.addAndGet(ENTRY_BYTES - (old == null ? 0 : old.bytes.get()));
          return entry;
        });
  }

  private record Entry(
      StoredSecret secret, Map<Integer, byte[]> ciphertexts, AtomicLong bytes, long readAt) {}

  private record Stamp(long epoch, long generation, long nanos) {}

  /** The caching view of the store's secrets. */
  private final class CachedSecrets implements SecretStore {
    @Override
    public StoredSecret update(SecretName name, Function<StoredSecret, SecretChange> change) {
      try {
        return store.secrets().update(name, change);
      } finally {
        drop(name.value());
      }
    }

    @Override
    public Optional<StoredSecret> find(SecretName name) {
      // Asked first: once it says yes, every drop it vouches for is already made.
      if (!serving.getAsBoolean()) {
        return store.secrets().find(name);
      }
      Entry cached = live(byName.get(name.value()));
      if (cached != null) {
        return Optional.of(cached.secret);
      }
      Stamp stamp = stamp(name.value());
      Optional<StoredSecret> loaded = store.secrets().find(name);
      loaded.ifPresent(secret -> remember(name.value(), stamp, secret));
      return loaded;
    }

    @Override
    public Optional<byte[]> ciphertext(long secretId, int version) {
      Entry entry = serving.getAsBoolean() ? live(byId.get(secretId)) : null;
      // An entry the cache no longer holds by name (dropped or replaced) is not served from.
      if (entry == null || byName.get(entry.secret.name().value()) != entry) {
        return store.secrets().ciphertext(secretId, version);
      }
      byte[] cached = entry.ciphertexts.get(version);
      if (cached != null) {
        return Optional.of(cached.clone());
      }
      String name = entry.secret.name().value();
      Stamp stamp = stamp(name);
      Optional<byte[]> loaded = store.secrets().ciphertext(secretId, version);
      if (loaded.isPresent() && unchanged(name, stamp)) {
        int size = loaded.get().length;
        if (bytes.get() + size > maxBytes) {
          startOver();
          return loaded;
        }
        if (entry.ciphertexts.put(version, loaded.get().clone()) == null) {
          entry.bytes.addAndGet(size);
          bytes.addAndGet(size);
        }
      }
      return loaded;
    }

    @Override
    public Map<Long, Map<Integer, byte[]>> ciphertexts(Map<Long, List<Integer>> versions) {
      // Many secrets read once each (a backup): from the store in one query, not cached.
      return store.secrets().ciphertexts(versions);
    }

    @Override
    public List<StoredSecret> list(String prefix, Optional<String> after, int limit) {
      return store.secrets().list(prefix, after, limit);
    }

    @Override
    public List<SecretName> names(String prefix, Optional<String> after, int limit) {
      return store.secrets().names(prefix, after, limit);
    }

    @Override
    public List<SecretName> withExpiredPrevious(Instant now, int limit) {
      return store.secrets().withExpiredPrevious(now, limit);
    }
  }

  /**
   * A unit of work that notes the secrets it updates, so they are dropped from the cache when the
   * transaction ends (committed or not). Reads inside it see the transaction, never the cache.
   */
  private record TrackingUnit(UnitOfWork unit, Set<String> touched) implements UnitOfWork {
    @Override
    public SecretStore secrets() {
      SecretStore inner = unit.secrets();
      return new SecretStore() {
        @Override
        public StoredSecret update(SecretName name, Function<StoredSecret, SecretChange> change) {
          touched.add(name.value());
          return inner.update(name, change);
        }

        @Override
        public Optional<StoredSecret> find(SecretName name) {
          return inner.find(name);
        }

        @Override
        public Optional<byte[]> ciphertext(long secretId, int version) {
          return inner.ciphertext(secretId, version);
        }

        @Override
        public Map<Long, Map<Integer, byte[]>> ciphertexts(Map<Long, List<Integer>> versions) {
          return inner.ciphertexts(versions);
        }

        @Override
        public List<StoredSecret> list(String prefix, Optional<String> after, int limit) {
          return inner.list(prefix, after, limit);
        }

        @Override
        public List<SecretName> names(String prefix, Optional<String> after, int limit) {
          return inner.names(prefix, after, limit);
        }

        @Override
        public List<SecretName> withExpiredPrevious(Instant now, int limit) {
          return inner.withExpiredPrevious(now, limit);
        }
      };
    }

    @Override
    public TokenStore tokens() {
      return unit.tokens();
    }

    @Override
    public RotationStore rotations() {
      return unit.rotations();
    }

    @Override
    public ConsumerStore consumers() {
      return unit.consumers();
    }

    @Override
    public AuditWriter audit() {
      return unit.audit();
    }
  }
}
