package dev.keyturn.core;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * When a rotation's {@code set} step waits for consumers, never for an emergency: with {@code
 * --propagation consumers:D}, until every live consumer accepts the pending version, at most D
 * after it was stored; for an alternating-users rule, until no live consumer uses a previous
 * version (the user whose password {@code set} changes), at most the rule's consumer deadline after
 * the pending version was stored. A waiting rotation is saved with its reason (audited once as
 * {@code rotation.waiting}) and looked at again every {@link #POLL}; a wait that ends at its bound
 * is audited ({@code rotation.consumers}, result {@code timeout}) naming who had not moved.
 * Thread-safe.
 */
final class ConsumerWaits {
  /** How the reason of a rotation waiting for consumers starts. */
  static final String PREFIX = "waits for consumers: ";

  /** How often a waiting rotation looks at the consumers again. */
  static final Duration POLL = Duration.ofSeconds(5);

  private final EngineWiring wiring;
  private final RotationMoves moves;

  ConsumerWaits(EngineWiring wiring, RotationMoves moves) {
    this.wiring = wiring;
    this.moves = moves;
  }

  /**
   * {@code rotation} saved as waiting, if it must wait; else empty, and the rotation may go on (a
   * checklist line is added when a bound ended the wait: see {@link #proceeding}).
   */
  Optional<Rotation> waiting(Rotation rotation, RotationRule rule, Version pending) {
    if (rotation.emergency()) {
      return Optional.empty();
    }
    Instant now = wiring.clock.instant();
    Optional<Wait> wait = wait(rotation, rule, pending);
    if (wait.isEmpty() || wait.get().laggards().isEmpty() || !wait.get().until().isAfter(now)) {
      return Optional.empty();
    }
    String why = PREFIX + wait.get().what() + ": " + String.join(" ", wait.get().laggards());
    Instant next =
        now.plus(POLL).isBefore(wait.get().until()) ? now.plus(POLL) : wait.get().until();
    Rotation waiting = rotation.waitUntil(next, now).withReason(why);
    if (!rotation.reason().equals(Optional.of(why))) {
      wiring.secrets.inTransaction(work -> {
        work.rotations().save(waiting);
        moves.audited(
            work, waiting, "rotation.waiting", Optional.of(pending.number()), "waiting", why);
        return null;
      });
    } else {
      wiring.store.save(waiting);
    }
    return Optional.of(waiting);
  }

  /**
   * {@code rotation} going on past its consumer wait: its waiting reason cleared, and when the wait
   * ended at its bound with consumers still behind, a checklist line and a record naming them.
   */
  Rotation proceeding(Rotation rotation, RotationRule rule, Version pending) {
    if (rotation.emergency()) {
      return rotation;
    }
    Rotation going = rotation;
    Optional<Wait> wait = wait(rotation, rule, pending);
    boolean noted = going.checklist().stream().anyMatch(c -> c.name().equals("consumers"));
    if (wait.isPresent() && !wait.get().laggards().isEmpty() && !noted) {
      String detail =
          wait.get().what()
              + ": went on at the bound; still behind: "
              + String.join(" ", wait.get().laggards());
      going = going.checked(RotationHooks.check("consumers", true, System.nanoTime(), detail));
      moves.audit(going, "rotation.consumers", Optional.of(pending.number()), "timeout", detail);
    }
    if (going.reason().filter(r -> r.startsWith(PREFIX)).isPresent()) {
      going = going.toBuilder().reason(Optional.empty()).build();
    }
    return going;
  }

  /** The consumer ids a reason written by {@link #waiting} names. */
  static List<String> laggards(String reason) {
    int at = reason.indexOf(": ", PREFIX.length());
    return at < 0 ? List.of() : List.of(reason.substring(at + 2).split(" "));
  }

  private record Wait(String what, List<String> laggards, Instant until) {}

  /** What the rotation waits for; empty, reading no consumers, when its rule waits for none. */
  private Optional<Wait> wait(Rotation rotation, RotationRule rule, Version pending) {
    SecretName name = rotation.secret();
    if (rule.propagationWaitsForConsumers()) {
      List<String> behind =
          wiring.secrets.consumers(name).stream()
              .filter(c -> !c.holding(name).orElseThrow().accepts(pending.number()))
              .map(Consumer::id)
              .toList();
      return Optional.of(
          new Wait(
              "to accept #" + pending.number(),
              behind,
              pending.createdAt().plus(rule.propagation())));
    }
    if (rule.strategy() == Strategy.ALTERNATING_USERS) {
      VersionSet versions = wiring.secrets.describe(name).versions();
      List<String> behind =
          wiring.secrets.consumers(name).stream()
              .filter(c ->
                  versions
                      .version(c.holding(name).orElseThrow().using())
                      .map(v -> v.stage() == Stage.PREVIOUS)
                      .orElse(false))
              .map(Consumer::id)
              .toList();
      return Optional.of(
          new Wait(
              "to leave the previous user",
              behind,
              pending.createdAt().plus(rule.consumerDeadlineOrDefault())));
    }
    return Optional.empty();
  }
}
