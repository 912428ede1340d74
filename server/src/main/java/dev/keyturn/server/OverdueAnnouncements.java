package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.spi.RotationStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The scheduler's announcements of secrets overdue by more than {@link #OVERDUE}, to the
 * notification webhook: each secret once per due date. The overdue rules are read in pages, from
 * where the last pass stopped, so that secrets nobody rotates (manual rules) never keep those
 * behind them from being announced; once the list has been read to its end, a secret not seen on
 * the way (rotated, or its rule changed or went) is forgotten and is announced again when it is
 * next overdue. A deleted secret is not announced; it is looked at again later, and announced once
 * a value was put again. Used by the scheduler's loop thread only.
 */
final class OverdueAnnouncements {
  /** How long past its due date a secret is announced. */
  static final Duration OVERDUE = Duration.ofHours(1);

  private final RotationStore rotations;
  private final Notifier notifier;
  private final Predicate<SecretName> deleted;
  private final Duration lookAgain;
  private final Clock clock;

  /** Rules per page. */
  private final int page;

  /** Pages one pass reads at most. */
  private final int pages;

  /** The due date each overdue secret was announced for. */
  private final Map<SecretName, Instant> announced = new HashMap<>();

  /**
   * Overdue secrets that were deleted when last looked at, with when to look again: not announced
   * while deleted, and announced once a value is put again.
   */
  private final Map<SecretName, Instant> quiet = new HashMap<>();

  /** The overdue secrets seen since the list was last read to its end. */
  private final Set<SecretName> seen = new HashSet<>();

  /** The overdue rule the last pass stopped after; the next pass reads on from it. */
  private Optional<RotationStore.RuleEntry> from = Optional.empty();

  /**
   * @param deleted whether a secret was deleted (every version retired): it is not announced while
   *     it is
   * @param lookAgain how long after a deleted secret was seen it is looked at again
   */
  OverdueAnnouncements(
      RotationStore rotations,
      Notifier notifier,
      Predicate<SecretName> deleted,
      Duration lookAgain,
      Clock clock,
      int page,
      int pages) {
    this.rotations = requireNonNull(rotations, "rotations");
    this.notifier = requireNonNull(notifier, "notifier");
    this.deleted = requireNonNull(deleted, "deleted");
    this.lookAgain = requireNonNull(lookAgain, "lookAgain");
    this.clock = requireNonNull(clock, "clock");
    this.page = page;
    this.pages = pages;
  }

  /** Announces what became overdue, reading at most {@code pages} pages of overdue rules. */
  void pass() {
    if (!notifier.enabled()) {
      return;
    }
    Instant before = clock.instant().minus(OVERDUE);
    for (int read = 0; read < pages; read++) {
      List<RotationStore.RuleEntry> rules =
          from.isEmpty()
              ? rotations.overdueRules(before, page)
              : rotations.overdueRulesAfter(before, from.get(), page);
      rules.forEach(this::announce);
      if (rules.size() < page) {
        announced.keySet().retainAll(seen);
        quiet.keySet().retainAll(seen);
        seen.clear();
        from = Optional.empty();
        return;
      }
      from = Optional.of(rules.get(rules.size() - 1));
    }
  }

  /** The secrets announced and not forgotten since (for tests). */
  Set<SecretName> remembered() {
    return Set.copyOf(announced.keySet());
  }

  /**
   * Announces {@code due} unless it was announced for its due date already, or its secret is
   * deleted.
   */
  private void announce(RotationStore.RuleEntry due) {
    SecretName name = due.rule().secret();
    seen.add(name);
    Instant dueAt = due.nextDue().orElseThrow();
    if (dueAt.equals(announced.get(name))) {
      return;
    }
    Instant now = clock.instant();
    Instant next = quiet.get(name);
    if (next != null && now.isBefore(next)) {
      return;
    }
    if (deleted.test(name)) {
      // Not news while deleted: looked at again later, and announced if a value was put meanwhile.
      quiet.put(name, now.plus(lookAgain));
      return;
    }
    quiet.remove(name);
    announced.put(name, dueAt);
    notifier.send(
        "secret.overdue",
        name.value(),
        Optional.empty(),
        "overdue",
        name
            + " is overdue for rotation (due "
            + dueAt
            + (due.rule().owner().isEmpty() ? "" : ", owner " + due.rule().owner())
            + ")",
        Optional.empty());
  }
}
