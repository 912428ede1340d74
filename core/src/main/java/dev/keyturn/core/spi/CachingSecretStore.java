package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.audit.AuditChain;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A {@link SecretStore} that keeps what reads need in memory: each secret's metadata and its
 * versions' ciphertexts (never a value: the cache holds exactly what the disk holds). Writes go
 * through to the store and drop the secret from the cache once committed.
 *
 * <p>Only for a store that no other process writes to (the embedded SQLite store, whose data folder
 * a server locks): writes by another node would not be seen. A read that raced with a write never
 * caches what it read: every write bumps the secret's generation before it drops the entry, and a
 * read caches its result only if the generation it started with is still current.
 *
 * <p>Thread-safe. Holds at most {@code limit} secrets; past that it starts over.
 */
public final class CachingSecretStore implements SecretStore {
  private final SecretStore store;
  private final int limit;
  private final Map<String, Entry> byName = new ConcurrentHashMap<>();
  private final Map<Long, Entry> byId = new ConcurrentHashMap<>();
  private final Map<String, Long> generations = new ConcurrentHashMap<>();

  public CachingSecretStore(SecretStore store, int limit) {
    this.store = requireNonNull(store, "store");
    this.limit = limit;
  }

  @Override
  public StoredSecret update(SecretName name, Function<StoredSecret, SecretChange> change) {
    try {
      return store.update(name, change);
    } finally {
      generations.merge(name.value(), 1L, Long::sum);
      Entry dropped = byName.remove(name.value());
      if (dropped != null) {
        byId.remove(dropped.secret.id());
      }
    }
  }

  @Override
  public Optional<StoredSecret> find(SecretName name) {
    Entry cached = byName.get(name.value());
    if (cached != null) {
      return Optional.of(cached.secret);
    }
    long generation = generations.getOrDefault(name.value(), 0L);
    Optional<StoredSecret> loaded = store.find(name);
    loaded.ifPresent(secret -> remember(name.value(), generation, secret));
    return loaded;
  }

  @Override
  public Optional<byte[]> ciphertext(long secretId, int version) {
    Entry entry = byId.get(secretId);
    if (entry == null) {
      return store.ciphertext(secretId, version);
    }
    byte[] cached = entry.ciphertexts.get(version);
    if (cached != null) {
      return Optional.of(cached.clone());
    }
    long generation = generations.getOrDefault(entry.secret.name().value(), 0L);
    Optional<byte[]> loaded = store.ciphertext(secretId, version);
    if (loaded.isPresent()
        && generations.getOrDefault(entry.secret.name().value(), 0L) == generation) {
      entry.ciphertexts.put(version, loaded.get().clone());
    }
    return loaded;
  }

  @Override
  public List<StoredSecret> list(String prefix, Optional<String> after, int limit) {
    return store.list(prefix, after, limit);
  }

  @Override
  public List<SecretName> withExpiredPrevious(java.time.Instant now, int limit) {
    return store.withExpiredPrevious(now, limit);
  }

  @Override
  public RotationStore rotations() {
    return store.rotations();
  }

  @Override
  public boolean isEmpty() {
    return store.isEmpty();
  }

  @Override
  public Optional<String> setting(String key) {
    return store.setting(key);
  }

  @Override
  public String settingIfAbsent(String key, String value) {
    return store.settingIfAbsent(key, value);
  }

  @Override
  public TokenStore tokens() {
    return store.tokens();
  }

  @Override
  public AuditLog openAuditLog(AuditChain chain) {
    return store.openAuditLog(chain);
  }

  @Override
  public void close() {
    store.close();
  }

  private void remember(String name, long generation, StoredSecret secret) {
    if (byName.size() >= limit) {
      byName.clear();
      byId.clear();
    }
    byName.compute(
        name,
        (k, old) -> {
          if (generations.getOrDefault(name, 0L) != generation) {
            return old;
          }
          Entry entry = new Entry(secret, new ConcurrentHashMap<>());
          byId.put(secret.id(), entry);
          return entry;
        });
  }

  private record Entry(StoredSecret secret, Map<Integer, byte[]> ciphertexts) {}
}
