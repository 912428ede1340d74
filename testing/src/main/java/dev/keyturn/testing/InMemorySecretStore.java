package dev.keyturn.testing;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.VersionSet;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.SecretChange;
import dev.keyturn.core.spi.SecretStore;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.core.spi.TokenLineage;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.core.spi.TokenStore;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A {@link SecretStore} in memory, for unit tests of the logic around a store. One lock guards
 * everything, so updates are atomic and serialized like a database transaction. Passes the same
 * contract suite as the JDBC stores.
 */
public final class InMemorySecretStore implements SecretStore {
  private final Clock clock;
  private final TreeMap<String, Row> rows = new TreeMap<>();
  private final Map<String, String> settings = new HashMap<>();
  private final InMemoryTokenStore tokens = new InMemoryTokenStore();
  private final InMemoryRotationStore rotations = new InMemoryRotationStore();
  private final List<dev.keyturn.core.spi.AuditRecord> auditRecords = new ArrayList<>();
  private long nextId = 1;

  public InMemorySecretStore(Clock clock) {
    this.clock = clock;
  }

  @Override
  public synchronized StoredSecret update(
      SecretName name, Function<StoredSecret, SecretChange> change) {
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

  @Override
  public synchronized Optional<StoredSecret> find(SecretName name) {
    Row row = rows.get(name.value());
    return Optional.ofNullable(row).map(r -> r.toStored(name));
  }

  @Override
  public synchronized Optional<byte[]> ciphertext(long secretId, int version) {
    return rows.values().stream()
        .filter(r -> r.id == secretId)
        .findFirst()
        .flatMap(r -> Optional.ofNullable(r.ciphertexts.get(version)))
        .map(byte[]::clone);
  }

  @Override
  public synchronized List<StoredSecret> list(String prefix, Optional<String> after, int limit) {
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

  @Override
  public synchronized boolean isEmpty() {
    return rows.isEmpty() && tokens.count() == 0;
  }

  @Override
  public synchronized Optional<String> setting(String key) {
    return Optional.ofNullable(settings.get(key));
  }

  @Override
  public synchronized String settingIfAbsent(String key, String value) {
    return settings.computeIfAbsent(key, k -> value);
  }

  @Override
  public TokenStore tokens() {
    return tokens;
  }

  @Override
  public InMemoryRotationStore rotations() {
    return rotations;
  }

  @Override
  public synchronized List<SecretName> withExpiredPrevious(Instant now, int limit) {
    return rows.entrySet().stream()
        .filter(e -> e.getValue().versions != null)
        .filter(e -> e.getValue().versions.versions().stream().anyMatch(v -> v.expiredAt(now)))
        .map(e -> SecretName.of(e.getKey()))
        .limit(limit)
        .toList();
  }

  @Override
  public AuditLog openAuditLog(AuditChain chain) {
    return new InMemoryAuditLog(chain, auditRecords);
  }

  @Override
  public void close() {}

  /** Overwrites one stored ciphertext, as an attacker with write access to the disk could. */
  public synchronized void tamper(SecretName name, int version, byte[] ciphertext) {
    rows.get(name.value()).ciphertexts.put(version, ciphertext.clone());
  }

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

  /** Tokens in memory, in creation order. */
  static final class InMemoryTokenStore implements TokenStore {
    private final Map<String, TokenRecord> byId = new java.util.LinkedHashMap<>();

    @Override
    public synchronized void create(TokenRecord token) {
      if (byId.containsKey(token.id())
          || byId.values().stream().anyMatch(t -> Arrays.equals(t.hash(), token.hash()))) {
        throw new IllegalStateException("token " + token.id() + " exists");
      }
      if (token.creator().isPresent()) {
        TokenRecord creator = byId.get(token.creator().get());
        if (creator == null || !creator.validAt(token.createdAt())) {
          throw new KeyturnException.Unauthenticated(
              "token " + token.creator().get() + " is no longer valid");
        }
      }
      byId.put(token.id(), token);
    }

    @Override
    public synchronized Optional<TokenRecord> findByHash(byte[] hash) {
      return byId.values().stream().filter(t -> Arrays.equals(t.hash(), hash)).findFirst();
    }

    @Override
    public synchronized List<TokenRecord> list() {
      return byId.values().stream()
          .sorted(
              java.util.Comparator.comparing(TokenRecord::createdAt).thenComparing(TokenRecord::id))
          .toList();
    }

    @Override
    public synchronized List<TokenRecord> revoke(String id, Instant at) {
      List<TokenRecord> out = new ArrayList<>();
      for (String each : TokenLineage.toRevoke(list(), id, at)) {
        TokenRecord t = byId.get(each).revoked(at);
        byId.put(each, t);
        out.add(t);
      }
      return out;
    }

    @Override
    public synchronized void resolveCreator(
        String id, Optional<String> creator, TokenRecord.CreatorSource source) {
      TokenRecord t = byId.get(id);
      if (t != null && t.creatorSource() == TokenRecord.CreatorSource.UNRESOLVED) {
        byId.put(id, t.withCreator(creator, source));
      }
    }

    @Override
    public synchronized long count() {
      return byId.size();
    }
  }
}
