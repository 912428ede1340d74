package dev.keyturn.core;

import static dev.keyturn.core.RotationHooks.check;

import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The finish of a {@code reencrypt} rotation: the pending key becomes current and the old one stays
 * valid as previous; then the target sweeps once more (rows the application wrote under the old key
 * while the rotation ran) and checks that every row opens under the new key; only then is the old
 * version retired. While rows remain under the old key the rotation waits in {@code finish} and
 * sweeps again after the rule's back-off: it never rolls back a promoted key, and never retires a
 * key a row still needs. Thread-safe.
 */
final class ReencryptFinish {
  /**
   * How long the old key stays previous at most when no final sweep succeeds (never, in practice).
   */
  private static final Duration HOLD = Duration.ofDays(3650);

  private final EngineWiring wiring;
  private final RotationMoves moves;
  private final RotationHooks hooks;

  ReencryptFinish(EngineWiring wiring, RotationMoves moves, RotationHooks hooks) {
    this.wiring = wiring;
    this.moves = moves;
    this.hooks = hooks;
  }

  Rotation finish(
      Rotation rotation, RotationRule rule, Version pending, Optional<Instant> nextDue) {
    int version = pending.number();
    if (pending.stage() == Stage.PENDING) {
      wiring.secrets.inTransaction(work -> {
        moves.auditedMove(work, rotation, version, Stage.CURRENT, HOLD);
        work.rotations().setNextDue(rotation.secret(), nextDue);
        moves.audited(
            work, rotation, "rotation.promote", Optional.of(version), "ok", "final sweep next");
        return null;
      });
    }
    Optional<Version> old =
        wiring.secrets.describe(rotation.secret()).versions().versions().stream()
            .filter(v -> v.stage() == Stage.PREVIOUS && v.number() < version)
            .max(java.util.Comparator.comparingInt(Version::number));
    long started = System.nanoTime();
    Rotation done = rotation;
    if (old.isPresent()) {
      Target target = wiring.target(rule);
      TargetContext context = finalSweep(rotation, rule, version, old.get().number());
      try {
        target.set(context);
        target.test(context);
      } catch (KeyturnException.Unavailable | KeyturnException.IntegrityFailure e) {
        throw e;
      } catch (RuntimeException e) {
        // The new key is current already: sweep again later, keeping the old key valid.
        Instant now = wiring.clock.instant();
        String why = "final sweep: " + e.getMessage() + "; version " + old.get().number();
        Rotation waiting =
            rotation.waitUntil(now.plus(backoff(rule)), now).withReason(why + " stays previous");
        moves.saveAudited(waiting, "rotation.retry", Optional.of(version), "failed", why);
        return waiting;
      } finally {
        context.pending().plaintext().destroy();
        context.current().ifPresent(v -> v.plaintext().destroy());
      }
      done = rotation.checked(check("final sweep " + rule.targetType(), true, started, ""));
      int retired = old.get().number();
      Rotation swept = done;
      wiring.secrets.inTransaction(work -> {
        moves.auditedMove(work, swept, retired, Stage.RETIRED, Duration.ZERO);
        return null;
      });
    }
    Instant at = wiring.clock.instant();
    Rotation finished;
    try {
      finished =
          hooks.run(done, rule, HookSpec.Phase.AFTER_FINISH).moveTo(RotationState.FINISHED, at);
    } catch (RotationHooks.CheckFailed e) {
      return moves.fail(
          e.rotation().withReason(e.getMessage()),
          e.getMessage() + " (version " + version + " is current and every row is under it)");
    }
    moves.saveAudited(finished, "rotation.finish", Optional.of(version), "ok", "old retired");
    moves.announce(finished);
    return finished;
  }

  private static Duration backoff(RotationRule rule) {
    return rule.backoff().isZero() ? Duration.ofSeconds(30) : rule.backoff();
  }

  /** The final sweep's view: the new key (now current) as the one to move rows to, the old one. */
  private TargetContext finalSweep(Rotation rotation, RotationRule rule, int to, int from) {
    SecretValue next = wiring.secrets.read(rotation.secret(), Selector.version(to), true);
    SecretValue old = wiring.secrets.read(rotation.secret(), Selector.version(from), true);
    return new TargetContext(
        rule,
        rotation,
        next,
        Optional.of(old),
        wiring.currentValues(),
        pid -> {},
        wiring.outbound(rule),
        progress -> wiring.store.saveProgress(rotation.id(), progress));
  }
}
