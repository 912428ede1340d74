package dev.keyturn.testing;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.VersionSet;
import dev.keyturn.core.spi.SecretChange;
import dev.keyturn.core.spi.SecretStore;
import dev.keyturn.core.spi.StoredSecret;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The secrets of an {@link InMemoryStore}. Every call holds the store's lock, so updates are atomic
 * and serialized like a database transaction.
 */
public final class InMemorySecretStore implements SecretStore {
  private final Object lock;
  private final Clock clock;
  private TreeMap<String, Row> rows = new TreeMap<>();
  private long nextId = 1;

  InMemorySecretStore(Object lock, Clock clock) {
    this.lock = lock;
    this.clock = clock;
  }

  @Override
  public StoredSecret update(SecretName name, Function<StoredSecret, SecretChange> change) {
    synchronized (lock) {
      Row existing = rows.get(name.value());
      Instant now = clock.instant();
      Row row = existing != null ? existing : new Row(nextId++, now);
      StoredSecret before = row.toStored(name);
      SecretChange result = change.apply(before);
      result.checkFollows(before.versions());
      Row next = row.copy();
      result
          .newWrappedDataKey()
          .ifPresent(dk -> {
            next.dataKey = dk.clone();
            next.destroyed = false;
          });
      next.versions = result.after();
      result.newCiphertexts().forEach((n, ct) -> next.ciphertexts.put(n, ct.clone()));
      if (result.destroyCiphertexts()) {
        next.ciphertexts.clear();
        next.dataKey = null;
        next.destroyed = true;
      }
      next.updatedAt = now;
      rows.put(name.value(), next);
      return next.toStored(name);
    }
  }

  @Override
  public Optional<StoredSecret> find(SecretName name) {
    synchronized (lock) {
      Row row = rows.get(name.value());
      return Optional.ofNullable(row).map(r -> r.toStored(name));
    }
  }

  @Override
  public Optional<byte[]> ciphertext(long secretId, int version) {
    synchronized (lock) {
      return rows.values().stream()
          .filter(r -> r.id == secretId)
          .findFirst()
          .flatMap(r -> Optional.ofNullable(r.ciphertexts.get(version)))
          .map(byte[]::clone);
    }
  }

  @Override
  public List<StoredSecret> list(String prefix, Optional<String> after, int limit) {
    synchronized (lock) {
      List<StoredSecret> out = new ArrayList<>();
      for (Map.Entry<String, Row> e :
          (after.isPresent() ? rows.tailMap(after.get(), false) : rows).entrySet()) {
        if (out.size() == limit) {
          break;
        }
        if (!e.getKey().startsWith(prefix) || e.getValue().versions.allRetired()) {
          continue;
        }
        out.add(e.getValue().toStored(SecretName.of(e.getKey())));
      }
      return out;
    }
  }

  @Override
  public List<SecretName> withExpiredPrevious(Instant now, int limit) {
    synchronized (lock) {
      return rows.entrySet().stream()
          .filter(e -> e.getValue().versions != null)
          .filter(e -> e.getValue().versions.versions().stream().anyMatch(v -> v.expiredAt(now)))
          .map(e -> SecretName.of(e.getKey()))
          .limit(limit)
          .toList();
    }
  }

  boolean isEmpty() {
    synchronized (lock) {
      return rows.isEmpty();
    }
  }

  /** Overwrites one stored ciphertext, as an attacker with write access to the disk could. */
  void tamper(SecretName name, int version, byte[] ciphertext) {
    synchronized (lock) {
      rows.get(name.value()).ciphertexts.put(version, ciphertext.clone());
    }
  }

  /** The state as it stands; rows are never changed in place, so a shallow copy suffices. */
  Object snapshot() {
    return new Snapshot(new TreeMap<>(rows), nextId);
  }

  void restore(Object snapshot) {
    Snapshot s = (Snapshot) snapshot;
    rows = new TreeMap<>(s.rows);
    nextId = s.nextId;
  }

  private record Snapshot(TreeMap<String, Row> rows, long nextId) {}

  private static final class Row {
    final long id;
    final Instant createdAt;
    Instant updatedAt;
    byte[] dataKey;
    boolean destroyed;
    VersionSet versions;
    final Map<Integer, byte[]> ciphertexts = new HashMap<>();

    Row(long id, Instant createdAt) {
      this.id = id;
      this.createdAt = createdAt;
      this.updatedAt = createdAt;
    }

    Row copy() {
      Row copy = new Row(id, createdAt);
      copy.updatedAt = updatedAt;
      copy.dataKey = dataKey;
      copy.destroyed = destroyed;
      copy.versions = versions;
      copy.ciphertexts.putAll(ciphertexts);
      return copy;
    }

    StoredSecret toStored(SecretName name) {
      return new StoredSecret(
          id,
          name,
          Optional.ofNullable(dataKey).map(byte[]::clone),
          versions == null ? VersionSet.empty(name) : versions,
          createdAt,
          updatedAt,
          destroyed);
    }
  }
}
