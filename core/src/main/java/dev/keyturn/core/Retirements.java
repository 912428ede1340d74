package dev.keyturn.core;

import static dev.keyturn.core.RotationHooks.check;
import static dev.keyturn.core.RotationHooks.describe;

import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the {@link RotationEngine} retires and revokes: a pending version an earlier failed rotation
 * left behind, the pending version of a rotation that rolled back, previous versions whose grace
 * window ended, and what targets must stop accepting after a finish. Each stage move commits with
 * its audit records. Thread-safe.
 */
final class Retirements {
  private final EngineWiring wiring;
  private final RotationMoves moves;

  Retirements(EngineWiring wiring, RotationMoves moves) {
    this.wiring = wiring;
    this.moves = moves;
  }

  /**
   * Retires a pending version that an earlier rotation made and left behind when it ended {@code
   * failed} (its rollback failed too): the engine owns what it leaves. Where the target can tell,
   * it is first checked not to be using that version; if it is, a person decides.
   *
   * @throws KeyturnException.Conflict if the version was not made by a failed rotation, or the
   *     target uses it
   */
  Rotation retireLeftover(Rotation rotation, RotationRule rule, Version leftover) {
    SecretName name = rotation.secret();
    Optional<Rotation> maker =
        Rotation.idFromCreatorTag(leftover.createdBy()).flatMap(wiring.store::rotation);
    if (maker.isEmpty() || maker.get().state() != RotationState.FAILED) {
      throw new KeyturnException.Conflict(
          name
              + "#"
              + leftover.number()
              + " is pending and was not made by a failed rotation; promote or retire it first");
    }
    long started = System.nanoTime();
    Target target = wiring.target(rule);
    TargetContext context = wiring.context(rotation, rule, leftover.number());
    if (target.canTell(context)) {
      boolean inUse;
      try {
        target.test(context);
        inUse = true;
      } catch (RuntimeException e) {
        inUse = false;
      }
      if (inUse) {
        throw new KeyturnException.Conflict(
            name
                + "#"
                + leftover.number()
                + " was left pending by "
                + maker.get().id()
                + " and the target accepts it: promote it (keyturn stage NAME "
                + leftover.number()
                + " current) or put the current value back on the target and retire it");
      }
    }
    String detail = "left pending by " + maker.get().id();
    Rotation retired =
        rotation.checked(check("retire leftover #" + leftover.number(), true, started, detail));
    // The stage move, its record and the rotation's record commit together.
    wiring.secrets.inTransaction(work -> {
      moves.auditedMove(work, rotation, leftover.number(), Stage.RETIRED, Duration.ZERO);
      moves.audited(
          work, retired, "rotation.retire-leftover", Optional.of(leftover.number()), "ok", detail);
      return null;
    });
    return retired;
  }

  /** Retires the rotation's pending version after a rollback, if it is still pending. */
  void retirePending(Rotation rotation, int version) {
    Version pending =
        wiring.secrets.describe(rotation.secret()).versions().version(version).orElseThrow();
    if (pending.stage() == Stage.PENDING) {
      wiring.secrets.inTransaction(work -> {
        moves.auditedMove(work, rotation, version, Stage.RETIRED, Duration.ZERO);
        return null;
      });
    }
  }

  /**
   * Has the target revoke what is no longer valid after a finish. The new version is already
   * current, so a failure cannot undo anything: it is recorded in the checklist and audited, and
   * the next revocation (grace end, next rotation) tries again.
   */
  Rotation revokeAfterFinish(Rotation rotation, RotationRule rule) {
    long started = System.nanoTime();
    try {
      wiring.target(rule).revoke(revokeContext(rule, rotation.secret()));
      return rotation;
    } catch (RuntimeException e) {
      moves.audit(rotation, "rotation.revoke", rotation.pendingVersion(), "failed", describe(e));
      return rotation.checked(check("revoke " + rule.targetType(), false, started, describe(e)));
    }
  }

  /**
   * Retires the secret's previous versions whose grace window ended, after the rule's target has
   * stopped accepting them (a Redis password is removed first, so a failure leaves the version
   * previous and the next call tries again).
   */
  WriteResult retireExpired(SecretName name) {
    if (!wiring.secrets.hasRetirable(name)) {
      // Every ended grace window is held by a live consumer: nothing to revoke or retire yet.
      return new WriteResult(wiring.secrets.describe(name), List.of());
    }
    Optional<RotationStore.RuleEntry> entry = wiring.store.rule(name);
    if (entry.isPresent()) {
      RotationRule rule = entry.get().rule();
      wiring.target(rule).revoke(revokeContext(rule, name));
    }
    return wiring.secrets.inTransaction(work -> {
      Holds[] holds = new Holds[1];
      WriteResult result = wiring.secrets.retireExpired(work, name, holds);
      Instant now = wiring.clock.instant();
      work.audit().append(result.auditEvents(now, "scheduler", "engine"));
      holds[0]
          .overdue()
          .forEach((version, users) -> {
            if (result.version(version).stage() == Stage.RETIRED) {
              work.audit()
                  .append(
                      List.of(
                          new AuditEvent(
                              now,
                              "scheduler",
                              "engine",
                              "consumer.deadline",
                              Optional.of(name.value()),
                              Optional.of(version),
                              "ok",
                              "retired at its consumer deadline; still used by "
                                  + String.join(" ", users))));
            }
          });
      return result;
    });
  }

  /** What a target's revoke and setup see: the versions valid now, and other secrets' values. */
  Target.RevokeContext revokeContext(RotationRule rule, SecretName name) {
    return new Target.RevokeContext(
        rule, () -> liveValues(name), wiring.currentValues(), wiring.outbound(rule));
  }

  /** The versions valid now, current first. */
  private List<SecretValue> liveValues(SecretName name) {
    List<SecretValue> live = new ArrayList<>(wiring.secrets.keyring(name));
    live.sort(Comparator.comparing((SecretValue v) -> v.version().stage() != Stage.CURRENT));
    return live;
  }
}
