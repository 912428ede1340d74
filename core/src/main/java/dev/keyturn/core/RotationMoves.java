package dev.keyturn.core;

import static dev.keyturn.core.RotationHooks.check;
import static dev.keyturn.core.RotationHooks.describe;

import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.UnitOfWork;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Moves rotations between states for the {@link RotationEngine} and records each move: the new
 * state and its audit record commit in one unit of work (invariant 9). Every move goes through
 * {@link Rotation#moveTo}, so {@link RotationState#canMoveTo} decides which are allowed. After a
 * failed step it decides between a retry, a rollback and the end ({@code failed}). Thread-safe.
 */
final class RotationMoves {
  private final EngineWiring wiring;
  private final AuditLog audit;
  private final RotationHooks hooks;
  private final Consumer<Rotation> onFinal;

  RotationMoves(
      EngineWiring wiring, AuditLog audit, RotationHooks hooks, Consumer<Rotation> onFinal) {
    this.wiring = wiring;
    this.audit = audit;
    this.hooks = hooks;
    this.onFinal = onFinal;
  }

  /** Stores a rotation that starts and records its start, in {@code work}. */
  void start(UnitOfWork work, Rotation rotation) {
    work.rotations().start(rotation);
    String detail =
        ((rotation.emergency() ? "emergency" : "")
                + rotation.note().map(n -> " reason=" + quote(n)).orElse(""))
            .strip();
    audited(work, rotation, "rotation.start", Optional.empty(), "ok", detail);
  }

  /** Moves the rotation to {@code next} and records the step, in a unit of its own. */
  Rotation advance(Rotation rotation, RotationState next) {
    return wiring.secrets.inTransaction(work -> advance(work, rotation, next));
  }

  /** Moves the rotation to {@code next} and records the step, in {@code work}. */
  Rotation advance(UnitOfWork work, Rotation rotation, RotationState next) {
    Rotation moved = recordAdvance(work, rotation, next);
    work.rotations().save(moved);
    return moved;
  }

  /**
   * Moves the rotation to {@code next} and records the step in {@code work}, leaving the save to
   * the caller: for a unit that moves it further before it saves it.
   */
  Rotation recordAdvance(UnitOfWork work, Rotation rotation, RotationState next) {
    Rotation moved = rotation.moveTo(next, wiring.clock.instant());
    audited(
        work,
        moved,
        "rotation." + rotation.state().wireName(),
        rotation.pendingVersion(),
        "ok",
        "-> " + next.wireName());
    return moved;
  }

  /**
   * Rolls back a rotation a person abandons ({@link RotationState#cancellable}).
   *
   * @throws KeyturnException.Conflict if it has ended or can no longer be cancelled
   */
  Rotation cancel(Rotation rotation, String by) {
    if (rotation.state().isFinal()) {
      throw new KeyturnException.Conflict(
          "rotation " + rotation.id() + " has already ended " + rotation.state().wireName());
    }
    if (!rotation.state().cancellable()) {
      throw new KeyturnException.Conflict(
          "rotation "
              + rotation.id()
              + " is in "
              + rotation.state().wireName()
              + " and can no longer be cancelled");
    }
    Rotation rollingBack =
        rotation
            .moveTo(RotationState.ROLLBACK, wiring.clock.instant())
            .withReason("cancelled by " + by);
    saveAudited(rollingBack, "rotation.cancel", rotation.pendingVersion(), "ok", "");
    return rollingBack;
  }

  /**
   * Ends the rotation {@code failed}: runs the rule's on-failure hooks (if the rule still exists
   * and passes its integrity check; the reason says when it does not), records the end and
   * announces it.
   */
  Rotation fail(Rotation rotation, String reason) {
    Optional<RotationStore.RuleEntry> entry;
    try {
      entry = wiring.store.rule(rotation.secret());
    } catch (KeyturnException.IntegrityFailure e) {
      return failUnhooked(rotation, reason + "; " + untrustedRule(e));
    }
    Rotation failed =
        rotation.moveTo(RotationState.FAILED, wiring.clock.instant()).withReason(reason);
    if (entry.isPresent()) {
      failed = hooks.run(failed, entry.get().rule(), HookSpec.Phase.ON_FAILURE);
    }
    saveFailed(failed, rotation.pendingVersion(), reason);
    announce(failed);
    return failed;
  }

  /**
   * Ends the rotation {@code failed} without running any hook, records the end and announces it:
   * for a rotation whose rule cannot be trusted.
   */
  Rotation failUnhooked(Rotation rotation, String reason) {
    Rotation failed =
        rotation.moveTo(RotationState.FAILED, wiring.clock.instant()).withReason(reason);
    saveFailed(failed, rotation.pendingVersion(), reason);
    announce(failed);
    return failed;
  }

  /**
   * Saves the end of a rotation that failed with its audit record and, in the same unit, moves when
   * the scheduler starts the rule's next rotation to {@link #retryAfterFailure} from now: otherwise
   * the rule, still due, would be started again at the scheduler's next pass, every second, calling
   * a target that refuses it (a refused login can lock the account) and recording and announcing a
   * failure each time. A start already later stays; a rule that starts only on request (no start)
   * keeps none; its due date stays, so the secret shows overdue meanwhile.
   */
  private void saveFailed(Rotation failed, Optional<Integer> version, String reason) {
    wiring.secrets.inTransaction(work -> {
      work.rotations().save(failed);
      Optional<Instant> next = postponeAfterFailure(work, failed);
      audited(
          work,
          failed,
          "rotation.failed",
          version,
          "failed",
          reason + next.map(at -> "; the scheduler starts the next rotation at " + at).orElse(""));
      return null;
    });
  }

  /** Moves the rule's start after {@code failed}; returns the start it moved to, if it did. */
  private Optional<Instant> postponeAfterFailure(UnitOfWork work, Rotation failed) {
    Optional<RotationStore.RuleEntry> entry;
    try {
      entry = work.rotations().rule(failed.secret());
    } catch (KeyturnException.IntegrityFailure e) {
      return Optional.empty(); // an edited rule row: the scheduler's due query refuses it anyway
    }
    if (entry.isEmpty() || entry.get().startAt().isEmpty()) {
      return Optional.empty();
    }
    int inARow = 0;
    for (Rotation r : work.rotations().history(failed.secret(), FAILURES_COUNTED)) {
      if (!r.id().equals(failed.id())) {
        if (r.state() != RotationState.FAILED) {
          break;
        }
        inARow++;
      }
    }
    Instant retry = wiring.clock.instant().plus(retryAfterFailure(inARow + 1));
    if (!entry.get().startAt().get().isBefore(retry)) {
      return Optional.empty();
    }
    work.rotations().setStartAt(failed.secret(), Optional.of(retry));
    return Optional.of(retry);
  }

  /** Rotations in a row looked at for {@link #retryAfterFailure}: enough to reach its cap. */
  private static final int FAILURES_COUNTED = 8;

  /**
   * How long the scheduler waits before it starts a rule's rotation again after the {@code
   * failuresInARow}-th failed rotation in a row: an hour, doubling with each further failure, at
   * most a day.
   */
  static Duration retryAfterFailure(int failuresInARow) {
    Duration delay = Duration.ofHours(1L << Math.min(Math.max(failuresInARow, 1) - 1, 5));
    return delay.compareTo(Duration.ofDays(1)) > 0 ? Duration.ofDays(1) : delay;
  }

  /** Why a rotation whose rule failed its integrity check ({@code e}) ended as it did. */
  static String untrustedRule(KeyturnException.IntegrityFailure e) {
    return "the rotation rule failed its integrity check ("
        + e.getMessage()
        + "): nothing it names was run (no rollback, no hook) and the versions were left as they"
        + " are; check the target, then set the rule again (keyturn rotation set)";
  }

  /** Tells the engine's owner that the rotation ended (a notifier, the metrics). */
  void announce(Rotation ended) {
    onFinal.accept(ended);
  }

  /**
   * What follows a step that threw {@code e}: the same step again after a back-off while attempts
   * remain, else a rollback (at once when retrying cannot help); a rollback that keeps failing ends
   * the rotation {@code failed}.
   */
  Rotation failedStep(Rotation rotation, RotationRule rule, RuntimeException e, long started) {
    Instant now = wiring.clock.instant();
    String why = rotation.state().wireName() + " failed: " + describe(e);
    Rotation checked;
    if (e instanceof RotationHooks.CheckFailed failed) {
      // The step itself worked; the check has its own line in the checklist already.
      checked = failed.rotation().toBuilder().process(Optional.empty()).build();
      why = e.getMessage();
    } else {
      checked =
          rotation.checked(
              check(
                  rotation.state().wireName() + " " + rule.targetType(),
                  false,
                  started,
                  describe(e)));
    }
    if (rotation.state() == RotationState.ROLLBACK) {
      if (checked.attempt() + 1 < rule.attempts()) {
        Rotation retry = checked.retryAt(now.plus(backoff(rule, checked.attempt())), now, why);
        wiring.store.save(retry);
        return retry;
      }
      return fail(checked, rotation.reason().orElse("") + "; rollback failed too: " + describe(e));
    }
    if (e instanceof KeyturnException.Conflict
        || e instanceof KeyturnException.InvalidInput
        || e instanceof KeyturnException.Forbidden
        || (e instanceof KeyturnException.TargetFailure f && !f.retryable())) {
      // Retrying cannot help (and retrying a refused login can lock an account): roll back now.
      return rollBack(checked, rotation.pendingVersion(), why, now);
    }
    if (checked.attempt() + 1 < rule.attempts()) {
      Rotation retry = checked.retryAt(now.plus(backoff(rule, checked.attempt())), now, why);
      saveAudited(retry, "rotation.retry", rotation.pendingVersion(), "failed", why);
      return retry;
    }
    return rollBack(checked, rotation.pendingVersion(), why, now);
  }

  private Rotation rollBack(Rotation rotation, Optional<Integer> version, String why, Instant now) {
    Rotation rollingBack = rotation.moveTo(RotationState.ROLLBACK, now).withReason(why);
    saveAudited(rollingBack, "rotation.rollback", version, "ok", why);
    return rollingBack;
  }

  /** {@code text} in double quotes, with quotes and backslashes escaped. */
  private static String quote(String text) {
    return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private static Duration backoff(RotationRule rule, int failures) {
    return rule.backoff().multipliedBy(1L << Math.min(failures, 16));
  }

  /** Saves the rotation's new state with its audit record, in one unit of work (invariant 9). */
  void saveAudited(
      Rotation rotation, String action, Optional<Integer> version, String result, String detail) {
    wiring.secrets.inTransaction(work -> {
      work.rotations().save(rotation);
      audited(work, rotation, action, version, result, detail);
      return null;
    });
  }

  /** Moves a version for the rotation and records the move, in {@code work}. */
  void auditedMove(UnitOfWork work, Rotation rotation, int version, Stage stage, Duration grace) {
    WriteResult moved =
        wiring.secrets.move(work, rotation.secret(), version, stage, grace, rotation.creatorTag());
    work.audit()
        .append(moved.auditEvents(wiring.clock.instant(), rotation.requestedBy(), "engine"));
  }

  /** Records what happened to the rotation, in {@code work}. */
  void audited(
      UnitOfWork work,
      Rotation rotation,
      String action,
      Optional<Integer> version,
      String result,
      String detail) {
    work.audit().append(List.of(event(rotation, action, version, result, detail)));
  }

  /** Records what happened to the rotation when nothing else changed with it. */
  void audit(
      Rotation rotation, String action, Optional<Integer> version, String result, String detail) {
    audit.append(List.of(event(rotation, action, version, result, detail)));
  }

  private AuditEvent event(
      Rotation rotation, String action, Optional<Integer> version, String result, String detail) {
    return new AuditEvent(
        wiring.clock.instant(),
        rotation.requestedBy(),
        "engine",
        action,
        Optional.of(rotation.secret().value()),
        version,
        result,
        (rotation.id() + " " + detail).strip());
  }
}
