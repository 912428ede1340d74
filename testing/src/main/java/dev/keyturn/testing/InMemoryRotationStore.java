package dev.keyturn.testing;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RuleCodec;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.spi.RotationStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * /** The rules and rotations of an {@link InMemoryStore}, with the same one-active-rotation rule.
 * Rules are kept as the documents {@link RuleCodec} writes, so a rule read back went through the
 * same codec as in the JDBC store. Every call holds the store's lock.
 */
public final class InMemoryRotationStore implements RotationStore {
  private record StoredRule(
      SecretName secret,
      Map<String, Object> document,
      Optional<Instant> nextDue,
      Optional<Instant> startAt) {
    RuleEntry entry() {
      return new RuleEntry(RuleCodec.fromDocument(secret, document), nextDue, startAt);
    }
  }

  private final Object lock;
  private final java.util.Map<String, dev.keyturn.core.NodeRecord> nodes =
      new java.util.TreeMap<>();
  private TreeMap<String, StoredRule> rules = new TreeMap<>();
  private Map<String, Rotation> rotations = new LinkedHashMap<>();
  private Map<String, String> leaseOwner = new HashMap<>();
  private Map<String, Instant> leaseUntil = new HashMap<>();

  InMemoryRotationStore(Object lock) {
    this.lock = lock;
  }

  private volatile Consumer<Rotation> beforeSave = r -> {};

  private volatile Consumer<SecretName> beforeRuleRead = s -> {};

  /**
   * Runs {@code hook} before every {@link #save}, in a unit of work or not. A hook that throws
   * stands for a crash just before the save commits: the save, and its unit, leave nothing.
   */
  public void beforeSave(Consumer<Rotation> hook) {
    this.beforeSave = hook;
  }

  /**
   * Runs {@code hook} before every read of a stored rule, with the rule's secret. A hook that
   * throws stands for the store failing that read: {@link KeyturnException.IntegrityFailure} for a
   * rule row edited outside Keyturn (as the JDBC store throws it), {@link
   * KeyturnException.Unavailable} for a store that is down.
   */
  public void beforeRuleRead(Consumer<SecretName> hook) {
    this.beforeRuleRead = hook;
  }

  private RuleEntry read(StoredRule stored) {
    beforeRuleRead.accept(stored.secret());
    return stored.entry();
  }

  @Override
  public void putRule(RuleEntry entry) {
    SecretName secret = entry.rule().secret();
    StoredRule stored =
        new StoredRule(
            secret, RuleCodec.toDocument(entry.rule()), entry.nextDue(), entry.startAt());
    synchronized (lock) {
      rules.put(secret.value(), stored);
    }
  }

  @Override
  public Optional<RuleEntry> rule(SecretName secret) {
    synchronized (lock) {
      return Optional.ofNullable(rules.get(secret.value())).map(this::read);
    }
  }

  @Override
  public boolean deleteRule(SecretName secret) {
    synchronized (lock) {
      return rules.remove(secret.value()) != null;
    }
  }

  @Override
  public List<RuleEntry> rules(String prefix, int limit) {
    synchronized (lock) {
      return rules.values().stream()
          .filter(r -> r.secret().value().startsWith(prefix))
          .limit(limit)
          .map(this::read)
          .toList();
    }
  }

  @Override
  public List<RuleEntry> dueRules(Instant now, int limit) {
    return rulesUntil(StoredRule::startAt, now, Optional.empty(), limit);
  }

  @Override
  public List<RuleEntry> dueRulesAfter(Instant now, RuleEntry after, int limit) {
    return rulesUntil(
        StoredRule::startAt,
        now,
        Optional.of(Map.entry(after.startAt().orElseThrow(), after.rule().secret().value())),
        limit);
  }

  @Override
  public List<RuleEntry> overdueRules(Instant before, int limit) {
    return rulesUntil(StoredRule::nextDue, before, Optional.empty(), limit);
  }

  @Override
  public List<RuleEntry> overdueRulesAfter(Instant before, RuleEntry after, int limit) {
    return rulesUntil(
        StoredRule::nextDue,
        before,
        Optional.of(Map.entry(after.nextDue().orElseThrow(), after.rule().secret().value())),
        limit);
  }

  /**
   * Rules whose {@code at} is at or before {@code until}, by it and then by name, after the instant
   * and name of {@code after} when given (as the JDBC store's indexed queries).
   */
  private List<RuleEntry> rulesUntil(
      Function<StoredRule, Optional<Instant>> at,
      Instant until,
      Optional<Map.Entry<Instant, String>> after,
      int limit) {
    Comparator<StoredRule> order =
        Comparator.<StoredRule, Instant>comparing(r -> at.apply(r).orElseThrow())
            .thenComparing(r -> r.secret().value());
    synchronized (lock) {
      return rules.values().stream()
          .filter(r -> at.apply(r).map(d -> !d.isAfter(until)).orElse(false))
          .filter(r -> after.isEmpty() || comesAfter(at.apply(r).orElseThrow(), r, after.get()))
          .sorted(order)
          .limit(limit)
          .map(this::read)
          .toList();
    }
  }

  private static boolean comesAfter(Instant at, StoredRule rule, Map.Entry<Instant, String> after) {
    int byAt = at.compareTo(after.getKey());
    return byAt > 0 || (byAt == 0 && rule.secret().value().compareTo(after.getValue()) > 0);
  }

  @Override
  public void setNextDue(SecretName secret, Optional<Instant> nextDue) {
    synchronized (lock) {
      StoredRule r = rules.get(secret.value());
      if (r != null) {
        rules.put(secret.value(), new StoredRule(secret, r.document(), nextDue, nextDue));
      }
    }
  }

  @Override
  public void setStartAt(SecretName secret, Optional<Instant> startAt) {
    synchronized (lock) {
      StoredRule r = rules.get(secret.value());
      if (r != null) {
        rules.put(secret.value(), new StoredRule(secret, r.document(), r.nextDue(), startAt));
      }
    }
  }

  @Override
  public void start(Rotation rotation) {
    synchronized (lock) {
      Optional<Rotation> running = active(rotation.secret());
      if (running.isPresent()) {
        throw new KeyturnException.RotationInProgress(
            rotation.secret().value(), running.get().id());
      }
      rotations.put(rotation.id(), rotation);
    }
  }

  @Override
  public boolean claim(String id, String node, Instant now, Instant until) {
    synchronized (lock) {
      if (!rotations.containsKey(id)) {
        return false;
      }
      Instant held = leaseUntil.get(id);
      if (held != null && !held.isBefore(now) && !node.equals(leaseOwner.get(id))) {
        return false;
      }
      leaseOwner.put(id, node);
      leaseUntil.put(id, until);
      return true;
    }
  }

  /** Until when a node claims rotation {@code id}, if one does (for tests of claims). */
  public Optional<Instant> claimedUntil(String id) {
    synchronized (lock) {
      return Optional.ofNullable(leaseUntil.get(id));
    }
  }

  @Override
  public void release(String id, String node) {
    synchronized (lock) {
      if (node.equals(leaseOwner.get(id))) {
        leaseOwner.remove(id);
        leaseUntil.remove(id);
      }
    }
  }

  @Override
  public void save(Rotation rotation) {
    synchronized (lock) {
      beforeSave.accept(rotation);
      if (!rotations.containsKey(rotation.id())) {
        throw new KeyturnException.NotFound("rotation " + rotation.id() + " does not exist");
      }
      // The sweep's progress is saved on its own (saveProgress), never by save.
      rotations.put(rotation.id(), rotation.withProgress(rotations.get(rotation.id()).progress()));
      if (rotation.state().isFinal()) {
        leaseOwner.remove(rotation.id());
        leaseUntil.remove(rotation.id());
      }
    }
  }

  @Override
  public void saveProgress(String id, dev.keyturn.core.SweepProgress progress) {
    synchronized (lock) {
      Rotation rotation = rotations.get(id);
      if (rotation != null) {
        rotations.put(id, rotation.withProgress(Optional.of(progress)));
      }
    }
  }

  @Override
  public Optional<Rotation> rotation(String id) {
    synchronized (lock) {
      return Optional.ofNullable(rotations.get(id));
    }
  }

  @Override
  public Optional<Rotation> active(SecretName secret) {
    synchronized (lock) {
      return rotations.values().stream()
          .filter(r -> r.secret().equals(secret) && !r.state().isFinal())
          .findFirst();
    }
  }

  @Override
  public List<Rotation> runnable(Instant now, int limit) {
    synchronized (lock) {
      return rotations.values().stream()
          .filter(r -> !r.state().isFinal() && !r.nextAttemptAt().isAfter(now))
          .sorted(Comparator.comparing(Rotation::nextAttemptAt))
          .limit(limit)
          .toList();
    }
  }

  @Override
  public List<Rotation> history(SecretName secret, int limit) {
    synchronized (lock) {
      List<Rotation> out = new ArrayList<>();
      for (Rotation r : rotations.values()) {
        if (r.secret().equals(secret)) {
          out.add(0, r);
        }
      }
      return out.subList(0, Math.min(limit, out.size()));
    }
  }

  @Override
  public List<Rotation> recent(
      String prefix,
      java.util.Set<dev.keyturn.core.RotationState> states,
      List<String> within,
      int limit) {
    synchronized (lock) {
      return rotations.values().stream()
          .filter(r -> r.secret().value().startsWith(prefix))
          .filter(r -> states.isEmpty() || states.contains(r.state()))
          .filter(r ->
              within.isEmpty()
                  || within.stream()
                      .anyMatch(g ->
                          new dev.keyturn.core.Grant(dev.keyturn.core.Capability.READ, g)
                              .allows(dev.keyturn.core.Capability.READ, r.secret().value())))
          .sorted(
              java.util.Comparator.comparing(Rotation::startedAt)
                  .reversed()
                  .thenComparing(Rotation::id))
          .limit(limit)
          .toList();
    }
  }

  /** The state as it stands (stored rules are not changed in place; rotations are immutable). */
  Object snapshot() {
    return List.of(
        new TreeMap<>(rules),
        new LinkedHashMap<>(rotations),
        new HashMap<>(leaseOwner),
        new HashMap<>(leaseUntil));
  }

  @SuppressWarnings("unchecked")
  void restore(Object snapshot) {
    List<Object> s = (List<Object>) snapshot;
    rules = new TreeMap<>((Map<String, StoredRule>) s.get(0));
    rotations = new LinkedHashMap<>((Map<String, Rotation>) s.get(1));
    leaseOwner = new HashMap<>((Map<String, String>) s.get(2));
    leaseUntil = new HashMap<>((Map<String, Instant>) s.get(3));
  }

  @Override
  public void heartbeat(dev.keyturn.core.NodeRecord node) {
    synchronized (lock) {
      nodes.put(node.id(), node);
    }
  }

  @Override
  public void leave(String id) {
    synchronized (lock) {
      nodes.remove(id);
    }
  }

  @Override
  public boolean noteReason(String id, String reason) {
    synchronized (lock) {
      Rotation r = rotations.get(id);
      if (r == null || r.state().isFinal() || r.reason().equals(Optional.of(reason))) {
        return false;
      }
      rotations.put(id, r.toBuilder().reason(Optional.of(reason)).build());
      return true;
    }
  }

  @Override
  public List<dev.keyturn.core.NodeRecord> nodes(java.time.Instant since) {
    synchronized (lock) {
      return nodes.values().stream().filter(n -> !n.lastSeen().isBefore(since)).toList();
    }
  }
}
