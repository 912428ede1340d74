package dev.keyturn.testing;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.spi.TokenLineage;
import dev.keyturn.core.spi.TokenRecord;
import dev.keyturn.core.spi.TokenStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The tokens of an {@link InMemoryStore}; every call holds the store's lock. */
final class InMemoryTokenStore implements TokenStore {
  private final Object lock;
  private Map<String, TokenRecord> byId = new LinkedHashMap<>();

  InMemoryTokenStore(Object lock) {
    this.lock = lock;
  }

  @Override
  public void create(TokenRecord token) {
    synchronized (lock) {
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
  }

  @Override
  public Optional<TokenRecord> findByHash(byte[] hash) {
    synchronized (lock) {
      return byId.values().stream().filter(t -> Arrays.equals(t.hash(), hash)).findFirst();
    }
  }

  @Override
  public List<TokenRecord> list() {
    synchronized (lock) {
      return byId.values().stream()
          .sorted(Comparator.comparing(TokenRecord::createdAt).thenComparing(TokenRecord::id))
          .toList();
    }
  }

  @Override
  public List<TokenRecord> revoke(String id, Instant at) {
    synchronized (lock) {
      List<TokenRecord> out = new ArrayList<>();
      for (String each : TokenLineage.toRevoke(list(), id, at)) {
        TokenRecord t = byId.get(each).revoked(at);
        byId.put(each, t);
        out.add(t);
      }
      return out;
    }
  }

  @Override
  public void resolveCreator(
      String id, Optional<String> creator, TokenRecord.CreatorSource source) {
    synchronized (lock) {
      TokenRecord t = byId.get(id);
      if (t != null && t.creatorSource() == TokenRecord.CreatorSource.UNRESOLVED) {
        byId.put(id, t.withCreator(creator, source));
      }
    }
  }

  @Override
  public TokenRecord renew(String id, Instant at) {
    synchronized (lock) {
      TokenRecord token = byId.get(id);
      if (token == null) {
        throw new KeyturnException.NotFound("token " + id + " does not exist");
      }
      Optional<Instant> creatorExpiry = Optional.empty();
      Optional<String> creatorId = token.effectiveCreator();
      if (creatorId.isPresent() && token.validAt(at)) {
        TokenRecord creator = byId.get(creatorId.get());
        if (creator == null || !creator.validAt(at)) {
          throw new KeyturnException.Unauthenticated(
              "token " + id + ": its creator is no longer valid");
        }
        creatorExpiry = creator.expiresAt();
      }
      TokenRecord renewed = token.renewed(at, creatorExpiry);
      byId.put(id, renewed);
      return renewed;
    }
  }

  @Override
  public long count() {
    synchronized (lock) {
      return byId.size();
    }
  }

  /** The state as it stands (records are immutable). */
  Object snapshot() {
    return new LinkedHashMap<>(byId);
  }

  @SuppressWarnings("unchecked")
  void restore(Object snapshot) {
    byId = new LinkedHashMap<>((Map<String, TokenRecord>) snapshot);
  }
}
