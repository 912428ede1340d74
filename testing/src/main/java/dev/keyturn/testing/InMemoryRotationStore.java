package dev.keyturn.testing;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RuleCodec;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.spi.RotationStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@link RotationStore} in memory, with the same one-active-rotation rule. Rules are kept as the
 * documents {@link RuleCodec} writes, so a rule read back went through the same codec as in the
 * JDBC store. Thread-safe.
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

  private final TreeMap<String, StoredRule> rules = new TreeMap<>();
  private final Map<String, Rotation> rotations = new LinkedHashMap<>();

  @Override
  public synchronized void putRule(RuleEntry entry) {
    SecretName secret = entry.rule().secret();
    rules.put(
        secret.value(),
        new StoredRule(
            secret, RuleCodec.toDocument(entry.rule()), entry.nextDue(), entry.startAt()));
  }

  @Override
  public synchronized Optional<RuleEntry> rule(SecretName secret) {
    return Optional.ofNullable(rules.get(secret.value())).map(StoredRule::entry);
  }

  @Override
  public synchronized boolean deleteRule(SecretName secret) {
    return rules.remove(secret.value()) != null;
  }

  @Override
  public synchronized List<RuleEntry> rules(String prefix, int limit) {
    return rules.values().stream()
        .filter(r -> r.secret().value().startsWith(prefix))
        .limit(limit)
        .map(StoredRule::entry)
        .toList();
  }

  @Override
  public synchronized List<RuleEntry> dueRules(Instant now, int limit) {
    return rules.values().stream()
        .filter(r -> r.startAt().map(d -> !d.isAfter(now)).orElse(false))
        .sorted(Comparator.comparing(r -> r.startAt().orElseThrow()))
        .limit(limit)
        .map(StoredRule::entry)
        .toList();
  }

  @Override
  public synchronized List<RuleEntry> overdueRules(Instant before, int limit) {
    return rules.values().stream()
        .filter(r -> r.nextDue().map(d -> !d.isAfter(before)).orElse(false))
        .sorted(Comparator.comparing(r -> r.nextDue().orElseThrow()))
        .limit(limit)
        .map(StoredRule::entry)
        .toList();
  }

  @Override
  public synchronized void setNextDue(SecretName secret, Optional<Instant> nextDue) {
    StoredRule r = rules.get(secret.value());
    if (r != null) {
      rules.put(secret.value(), new StoredRule(secret, r.document(), nextDue, nextDue));
    }
  }

  @Override
  public synchronized void setStartAt(SecretName secret, Optional<Instant> startAt) {
    StoredRule r = rules.get(secret.value());
    if (r != null) {
      rules.put(secret.value(), new StoredRule(secret, r.document(), r.nextDue(), startAt));
    }
  }

  @Override
  public synchronized void start(Rotation rotation) {
    Optional<Rotation> running = active(rotation.secret());
    if (running.isPresent()) {
      throw new KeyturnException.RotationInProgress(rotation.secret().value(), running.get().id());
    }
    rotations.put(rotation.id(), rotation);
  }

  private final Map<String, String> leaseOwner = new java.util.HashMap<>();
  private final Map<String, Instant> leaseUntil = new java.util.HashMap<>();

  @Override
  public synchronized boolean claim(String id, String node, Instant now, Instant until) {
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

  @Override
  public synchronized void release(String id, String node) {
    if (node.equals(leaseOwner.get(id))) {
      leaseOwner.remove(id);
      leaseUntil.remove(id);
    }
  }

  @Override
  public synchronized void save(Rotation rotation) {
    if (!rotations.containsKey(rotation.id())) {
      throw new KeyturnException.NotFound("rotation " + rotation.id() + " does not exist");
    }
    rotations.put(rotation.id(), rotation);
  }

  @Override
  public synchronized Optional<Rotation> rotation(String id) {
    return Optional.ofNullable(rotations.get(id));
  }

  @Override
  public synchronized Optional<Rotation> active(SecretName secret) {
    return rotations.values().stream()
        .filter(r -> r.secret().equals(secret) && !r.state().isFinal())
        .findFirst();
  }

  @Override
  public synchronized List<Rotation> runnable(Instant now, int limit) {
    return rotations.values().stream()
        .filter(r -> !r.state().isFinal() && !r.nextAttemptAt().isAfter(now))
        .sorted(Comparator.comparing(Rotation::nextAttemptAt))
        .limit(limit)
        .toList();
  }

  @Override
  public synchronized List<Rotation> history(SecretName secret, int limit) {
    List<Rotation> out = new ArrayList<>();
    for (Rotation r : rotations.values()) {
      if (r.secret().equals(secret)) {
        out.add(0, r);
      }
    }
    return out.subList(0, Math.min(limit, out.size()));
  }
}
