package dev.keyturn.core.spi;

import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Rotation rules and rotation runs, durable. Thread-safe; shared by every node of a store.
 * Implementations keep at most one unfinished rotation per secret (DESIGN invariant 3).
 */
public interface RotationStore {

  /** A rule and when it is next due (absent for rules without a schedule). */
  record RuleEntry(RotationRule rule, Optional<Instant> nextDue) {}

  void putRule(RotationRule rule, Optional<Instant> nextDue);

  Optional<RuleEntry> rule(SecretName secret);

  /**
   * @return false if there was no rule
   */
  boolean deleteRule(SecretName secret);

  /** Rules under {@code prefix}, in name order. */
  List<RuleEntry> rules(String prefix, int limit);

  /** Rules due at {@code now}, soonest first (an indexed query, not a scan). */
  List<RuleEntry> dueRules(Instant now, int limit);

  void setNextDue(SecretName secret, Optional<Instant> nextDue);

  /**
   * Records a new rotation.
   *
   * @throws dev.keyturn.core.KeyturnException.RotationInProgress if the secret has an unfinished
   *     rotation, on any node
   */
  void start(Rotation rotation);

  /**
   * Claims rotation {@code id} for {@code node} until {@code until}, unless another node holds an
   * unexpired claim. Lets one node at a time run a rotation's step.
   *
   * @return true if this node now holds the claim
   */
  boolean claim(String id, String node, Instant now, Instant until);

  /** Gives up {@code node}'s claim on rotation {@code id}. */
  void release(String id, String node);

  /** Persists a rotation's new state. */
  void save(Rotation rotation);

  Optional<Rotation> rotation(String id);

  /** The secret's unfinished rotation, if any. */
  Optional<Rotation> active(SecretName secret);

  /** Unfinished rotations whose next attempt is due at {@code now}. */
  List<Rotation> runnable(Instant now, int limit);

  /** The secret's rotations, newest first. */
  List<Rotation> history(SecretName secret, int limit);
}
