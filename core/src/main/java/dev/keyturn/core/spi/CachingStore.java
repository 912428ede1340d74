package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A {@link Store} whose {@link #secrets()} keep what reads need in memory: each secret's metadata
 * and its versions' ciphertexts (never a value: the cache holds exactly what the disk holds).
 * Writes, alone or in a {@link UnitOfWork}, go through to the store and drop the secrets they
 * touched from the cache once the transaction has ended. Every other role passes through.
 *
 * <p>Only for a store that no other process writes to (the embedded SQLite store, whose data folder
 * a server locks): writes by another node would not be seen. A read that raced with a write never
 * caches what it read: every write bumps the secret's generation before it drops the entry, and a
 * read caches its result only if the generation it started with is still current.
 *
 * <p>Thread-safe. Holds at most {@code maxEntries} secrets and about {@code maxBytes} bytes (the
 * ciphertexts plus an estimate of {@value #ENTRY_BYTES} bytes a secret for its metadata); past
 * either it starts over. {@link #size()} and {@link #bytes()} say what it holds now; the byte count
 * is an estimate that concurrent writes may skew until the cache next starts over.
 */
public final class CachingStore implements Store {
  /** The estimated heap a cached secret's metadata takes, ciphertexts aside. */
  static final int ENTRY_BYTES = 1024;

  /** The default byte bound: small next to the server's default heap (bin/keyturn). */
  public static final long DEFAULT_MAX_BYTES = 16L << 20;

  private final Store store;
  private final int limit;
  private final long maxBytes;
  private final AtomicLong bytes = new AtomicLong();
  private final Map<String, Entry> byName = new ConcurrentHashMap<>();
  private final Map<Long, Entry> byId = new ConcurrentHashMap<>();
  private final Map<String, Long> generations = new ConcurrentHashMap<>();
  private final SecretStore secrets = new CachedSecrets();

  public CachingStore(Store store, int maxEntries) {
    this(store, maxEntries, DEFAULT_MAX_BYTES);
  }

  public CachingStore(Store store, int maxEntries, long maxBytes) {
    this.store = requireNonNull(store, "store");
    this.limit = maxEntries;
    this.maxBytes = maxBytes;
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
  public AuditLog openAuditLog(AuditChain chain) {
    return store.openAuditLog(chain);
  }

  @Override
  public void protect(Envelope envelope) {
    store.protect(envelope);
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
    generations.merge(name, 1L, Long::sum);
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

  private void remember(String name, long generation, StoredSecret secret) {
    if (byName.size() >= limit || bytes.get() + ENTRY_BYTES > maxBytes) {
      startOver();
    }
    byName.compute(
        name,
        (k, old) -> {
          if (generations.getOrDefault(name, 0L) != generation) {
            return old;
          }
          Entry entry = new Entry(secret, new ConcurrentHashMap<>(), new AtomicLong(ENTRY_BYTES));
          byId.put(secret.id(), entry);
          bytes.addAndGet(ENTRY_BYTES - (old == null ? 0 : old.bytes.get()));
          return entry;
        });
  }

  private record Entry(StoredSecret secret, Map<Integer, byte[]> ciphertexts, AtomicLong bytes) {}

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
      Entry cached = byName.get(name.value());
      if (cached != null) {
        return Optional.of(cached.secret);
      }
      long generation = generations.getOrDefault(name.value(), 0L);
      Optional<StoredSecret> loaded = store.secrets().find(name);
      loaded.ifPresent(secret -> remember(name.value(), generation, secret));
      return loaded;
    }

    @Override
    public Optional<byte[]> ciphertext(long secretId, int version) {
      Entry entry = byId.get(secretId);
      if (entry == null) {
        return store.secrets().ciphertext(secretId, version);
      }
      byte[] cached = entry.ciphertexts.get(version);
      if (cached != null) {
        return Optional.of(cached.clone());
      }
      long generation = generations.getOrDefault(entry.secret.name().value(), 0L);
      Optional<byte[]> loaded = store.secrets().ciphertext(secretId, version);
      if (loaded.isPresent()
          && generations.getOrDefault(entry.secret.name().value(), 0L) == generation) {
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
    public List<StoredSecret> list(String prefix, Optional<String> after, int limit) {
      return store.secrets().list(prefix, after, limit);
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
    public TokenStore tokens() {
      return unit.tokens();
    }

    @Override
    public RotationStore rotations() {
      return unit.rotations();
    }

    @Override
    public AuditWriter audit() {
      return unit.audit();
    }
  }
}
