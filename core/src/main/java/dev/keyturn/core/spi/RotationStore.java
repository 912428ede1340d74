package dev.keyturn.core.spi;

import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.SecretName;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Rotation rules and rotation runs, durable. Thread-safe; shared by every node of a store.
 * Implementations keep at most one unfinished rotation per secret (DESIGN invariant 3).
 */
public interface RotationStore {

  /**
   * A rule, when it is next due, and when the scheduler starts its rotation. The two differ only
   * for a rule set on a secret that was already overdue: it is shown overdue from {@code nextDue},
   * and starts in its next window, at once with catch-up, or (absent) only on request.
   */
  record RuleEntry(RotationRule rule, Optional<Instant> nextDue, Optional<Instant> startAt) {
    public RuleEntry {
      java.util.Objects.requireNonNull(rule, "rule");
      java.util.Objects.requireNonNull(nextDue, "nextDue");
      java.util.Objects.requireNonNull(startAt, "startAt");
    }

    /** An entry that starts when it is due. */
    public RuleEntry(RotationRule rule, Optional<Instant> nextDue) {
      this(rule, nextDue, nextDue);
    }
  }

  /** Stores {@code entry}'s rule whole (every component reads back equal), replacing any other. */
  void putRule(RuleEntry entry);

  /** As {@link #putRule(RuleEntry)}, starting when due. */
  default void putRule(RotationRule rule, Optional<Instant> nextDue) {
    putRule(new RuleEntry(rule, nextDue));
  }

  Optional<RuleEntry> rule(SecretName secret);

  /**
   * The rules of {@code secrets}, by name (a secret without one is absent), checked as {@link
   * #rule} checks each: for a caller that needs the rules of a page of secrets (a backup), which a
   * store answers with one query instead of one per secret.
   */
  default java.util.Map<SecretName, RuleEntry> rules(java.util.Collection<SecretName> secrets) {
    java.util.Map<SecretName, RuleEntry> out = new java.util.HashMap<>();
    for (SecretName secret : secrets) {
      rule(secret).ifPresent(r -> out.put(secret, r));
    }
    return out;
  }

  /**
   * @return false if there was no rule
   */
  boolean deleteRule(SecretName secret);

  /** Rules under {@code prefix}, in name order. */
  List<RuleEntry> rules(String prefix, int limit);

  /**
   * The names of the secrets that have a rule under {@code prefix}, in name order: what {@link
   * #rules} would list, without reading (or checking) the rules themselves; for listings that show
   * a page of many names. Whatever is shown about a rule must still come from {@link #rule}.
   */
  default List<SecretName> ruleNames(String prefix, int limit) {
    return rules(prefix, limit).stream().map(e -> e.rule().secret()).toList();
  }

  /**
   * Rules whose rotation starts at {@code now}, soonest first and then by name (an indexed query,
   * not a scan).
   */
  List<RuleEntry> dueRules(Instant now, int limit);

  /**
   * As {@link #dueRules}, the rules that come after {@code after} in its order: the next page, for
   * a caller that could not start every rule of the page before (manual rules, rules whose rotation
   * runs) and must not be held up by them.
   *
   * @param after an entry {@link #dueRules} or this method returned (it has a start)
   */
  List<RuleEntry> dueRulesAfter(Instant now, RuleEntry after, int limit);

  /** Rules due at {@code before} (whenever they start), soonest first (indexed too). */
  List<RuleEntry> overdueRules(Instant before, int limit);

  /**
   * As {@link #overdueRules}, the rules that come after {@code after} in its order (due date, then
   * name): the next page.
   *
   * @param after an entry {@link #overdueRules} or this method returned (it has a due date)
   */
  List<RuleEntry> overdueRulesAfter(Instant before, RuleEntry after, int limit);

  /** Sets when the rule is next due, and starts then. */
  void setNextDue(SecretName secret, Optional<Instant> nextDue);

  /** Moves when the rule's rotation starts (to its window's next opening), keeping its due date. */
  void setStartAt(SecretName secret, Optional<Instant> startAt);

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

  /** Persists a rotation's new state; a rotation that ended gives up any claim on it. */
  void save(Rotation rotation);

  Optional<Rotation> rotation(String id);

  /**
   * Saves how far rotation {@code id}'s row sweep has come, on its own: {@link #save} never changes
   * it, so a step that saves the rotation it read at its start keeps the sweep's latest progress.
   * Nothing happens when the rotation does not exist.
   */
  void saveProgress(String id, dev.keyturn.core.SweepProgress progress);

  /** The secret's unfinished rotation, if any. */
  Optional<Rotation> active(SecretName secret);

  /** Unfinished rotations whose next attempt is due at {@code now}. */
  List<Rotation> runnable(Instant now, int limit);

  /** The secret's rotations, newest first. */
  List<Rotation> history(SecretName secret, int limit);

  /**
   * Rotations of every secret whose name starts with {@code prefix}, newest first (by start, then
   * id).
   *
   * @param states only rotations in one of these states; empty: any state
   * @param within when not empty, only rotations of a secret matched by one of these grant patterns
   *     ({@code *} matches any characters, {@code /} included): a narrowing for a list that shows
   *     only what a token may see, which its caller still checks row by row
   */
  List<Rotation> recent(
      String prefix, java.util.Set<RotationState> states, List<String> within, int limit);

  /** Publishes {@code node} (inserted, or replacing the row with its id): a heartbeat. */
  void heartbeat(dev.keyturn.core.NodeRecord node);

  /** The nodes seen at or after {@code since}, by id. */
  List<dev.keyturn.core.NodeRecord> nodes(Instant since);

  /** Removes node {@code id}'s row (a clean shutdown); nothing when there is none. */
  void leave(String id);

  /**
   * Sets the reason of unfinished rotation {@code id} to {@code reason} unless it is that already,
   * as one conditional update: of several nodes noting the same reason at once, exactly one gets
   * {@code true} (and writes the audit record in the same unit of work).
   *
   * @return whether this call changed the rotation
   */
  boolean noteReason(String id, String reason);
}
