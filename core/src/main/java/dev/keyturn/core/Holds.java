package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which previous versions of one secret, past their grace window at one instant, live consumers
 * still use: {@code holding} those kept from retirement (before their consumer deadline), {@code
 * overdue} those whose deadline has passed, so they retire whoever still uses them. Each maps a
 * version number to the ids of the consumers using it, in id order. Immutable.
 */
public record Holds(Map<Integer, List<String>> holding, Map<Integer, List<String>> overdue) {
  /** No version held. */
  public static final Holds NONE = new Holds(Map.of(), Map.of());

  public Holds {
    holding = Map.copyOf(holding);
    overdue = Map.copyOf(overdue);
  }

  /** The version numbers kept from retirement. */
  public Set<Integer> held() {
    return holding.keySet();
  }

  /** The consumers keeping {@code version}, if any. */
  public List<String> heldBy(int version) {
    return holding.getOrDefault(version, List.of());
  }

  /** Every consumer keeping some version, in id order, each once. */
  public List<String> laggards() {
    return holding.values().stream().flatMap(List::stream).distinct().sorted().toList();
  }

  /**
   * The holds on {@code versions} at {@code now} by {@code consumers} (live or not; only live ones
   * hold). A version's deadline is its {@code accept_until} plus the rule's consumer deadline (by
   * default one more grace); without a rule, plus its grace as it was given (from when the version
   * that replaced it was made to its {@code accept_until}).
   */
  public static Holds of(
      VersionSet versions, List<Consumer> consumers, Optional<RotationRule> rule, Instant now) {
    requireNonNull(versions, "versions");
    requireNonNull(consumers, "consumers");
    requireNonNull(rule, "rule");
    requireNonNull(now, "now");
    Map<Integer, List<String>> holding = new TreeMap<>();
    Map<Integer, List<String>> overdue = new TreeMap<>();
    for (Version v : versions.versions()) {
      if (!v.expiredAt(now)) {
        continue;
      }
      List<String> users =
          consumers.stream()
              .filter(c -> c.liveAt(now))
              .filter(
                  c -> c.holding(versions.name()).map(h -> h.using() == v.number()).orElse(false))
              .map(Consumer::id)
              .sorted()
              .toList();
      if (users.isEmpty()) {
        continue;
      }
      Instant deadline = v.acceptUntil().orElseThrow().plus(extra(versions, v, rule));
      (deadline.isAfter(now) ? holding : overdue).put(v.number(), users);
    }
    return holding.isEmpty() && overdue.isEmpty() ? NONE : new Holds(holding, overdue);
  }

  private static Duration extra(VersionSet versions, Version v, Optional<RotationRule> rule) {
    if (rule.isPresent()) {
      return rule.get().consumerDeadlineOrDefault();
    }
    Instant until = v.acceptUntil().orElseThrow();
    return versions.versions().stream()
        .filter(o -> o.number() > v.number())
        .findFirst()
        .map(next -> Duration.between(next.createdAt(), until))
        .filter(d -> !d.isNegative())
        .orElse(Duration.ZERO);
  }
}
