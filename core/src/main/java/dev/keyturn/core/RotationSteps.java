package dev.keyturn.core;

import static dev.keyturn.core.RotationHooks.check;

import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import dev.keyturn.core.spi.UnitOfWork;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The steps of a rotation, the same for every strategy: {@code create} stores the new value as the
 * pending version (before any target sees it; invariant 1), {@code set} applies it through the
 * rule's target, {@code test} checks it, {@code finish} makes it current, and {@code rollback} puts
 * the current value back. Each step is idempotent, so a step a crash cut short runs again safely. A
 * step that fails throws; {@link RotationMoves#failedStep} decides what follows. Thread-safe.
 */
final class RotationSteps {
  /** The bound on an alternating user's previous version when no rotation is scheduled. */
  private static final Duration UNTIL_NEXT = Duration.ofDays(3650);

  private final EngineWiring wiring;
  private final RotationMoves moves;
  private final Retirements retirements;
  private final RotationHooks hooks;
  private final ConsumerWaits consumerWaits;
  private final ReencryptFinish reencryption;

  RotationSteps(
      EngineWiring wiring, RotationMoves moves, Retirements retirements, RotationHooks hooks) {
    this.wiring = wiring;
    this.moves = moves;
    this.retirements = retirements;
    this.hooks = hooks;
    this.consumerWaits = new ConsumerWaits(wiring, moves);
    this.reencryption = new ReencryptFinish(wiring, moves, hooks);
  }

  /** Runs the rotation's current step; a final rotation comes back as it is. */
  Rotation run(Rotation rotation, RotationRule rule, long started) {
    return switch (rotation.state()) {
      case CREATE -> create(rotation, rule);
      case SET -> set(rotation, rule, started);
      case TEST -> test(rotation, rule, started);
      case FINISH -> finish(rotation, rule);
      case ROLLBACK -> rollback(rotation, rule, started);
      case FINISHED, FAILED -> rotation;
    };
  }

  private Rotation create(Rotation rotation, RotationRule rule) {
    if (rotation.pendingVersion().isPresent()) {
      return moves.advance(rotation, RotationState.SET);
    }
    VersionSet versions = wiring.secrets.describe(rotation.secret()).versions();
    Optional<Version> pending = versions.pending();
    if (pending.isPresent() && !pending.get().createdBy().equals(rotation.creatorTag())) {
      rotation = retirements.retireLeftover(rotation, rule, pending.get());
      pending = Optional.empty();
    }
    if (pending.isPresent()) {
      // A crash after the value was stored but before this step was recorded: adopt it.
      Rotation adopted = rotation.withPending(pending.get().number(), wiring.clock.instant());
      return moves.advance(adopted, RotationState.SET);
    }
    ValueType type = versions.current().map(Version::type).orElse(ValueType.STRING);
    Plaintext value = newValue(rotation, rule);
    try {
      // The pending version, its audit records and the rotation's move to set commit together.
      Rotation creating = rotation;
      return wiring.secrets.inTransaction(work -> createPending(work, creating, value, type));
    } finally {
      value.destroy();
    }
  }

  /**
   * The rotation's new value: the rule's generator's, as the rule's target stores it ({@link
   * Target#nextValue}). The caller destroys it.
   *
   * @throws KeyturnException.InvalidInput under a manual rule, or for an unknown target type
   */
  Plaintext newValue(Rotation rotation, RotationRule rule) {
    if (rule.generator().isManual()) {
      throw new KeyturnException.InvalidInput("a manual rotation needs the new value");
    }
    Target target = wiring.target(rule);
    Plaintext generated = rule.generator().generate(wiring.random);
    try {
      return target.nextValue(
          rule,
          wiring.secrets.read(rotation.secret(), Selector.current(), false),
          generated,
          rotation.emergency());
    } finally {
      generated.destroy();
    }
  }

  /**
   * Stores {@code value} as the rotation's pending version, of the current version's {@code type},
   * and moves the rotation to set, in {@code work}.
   */
  Rotation createPending(UnitOfWork work, Rotation rotation, Plaintext value, ValueType type) {
    WriteResult written =
        wiring.secrets.put(
            work,
            rotation.secret(),
            value,
            type,
            Duration.ZERO,
            Stage.PENDING,
            rotation.creatorTag());
    int number = written.newest().number();
    Rotation created = rotation.withPending(number, wiring.clock.instant());
    work.audit()
        .append(written.auditEvents(wiring.clock.instant(), rotation.requestedBy(), "engine"));
    moves.audited(work, created, "rotation.create", Optional.of(number), "ok", "pending");
    return moves.advance(work, created, RotationState.SET);
  }

  private Rotation set(Rotation rotation, RotationRule rule, long started) {
    TargetContext context = wiring.pendingContext(rotation, rule);
    Instant now = wiring.clock.instant();
    Version pendingVersion = context.pending().version();
    Optional<Rotation> held = consumerWaits.waiting(rotation, rule, pendingVersion);
    if (held.isPresent()) {
      return held.get();
    }
    rotation = consumerWaits.proceeding(rotation, rule, pendingVersion);
    if (!rotation.emergency()
        && (rule.strategy() == Strategy.OVERLAP || rule.strategy() == Strategy.REENCRYPT)
        && !rule.propagation().isZero()
        && !rule.propagationWaitsForConsumers()) {
      // Verifiers learn the new key first; signers switch only after the propagation delay. An
      // emergency waits for nobody: the old value is leaked, so it must stop being used now.
      Instant ready = context.pending().version().createdAt().plus(rule.propagation());
      if (ready.isAfter(now)) {
        Rotation waiting = rotation.waitUntil(ready, now);
        wiring.store.save(waiting);
        return waiting;
      }
    }
    killLeftover(rotation);
    Target target = wiring.target(rule);
    boolean alreadySet = false;
    if ((rotation.attempt() > 0 || rotation.process().isPresent()) && target.canTell(context)) {
      try {
        target.test(context);
        alreadySet = true;
      } catch (RuntimeException e) {
        // Not there yet: set it.
      }
    }
    if (!alreadySet) {
      target.set(context);
    }
    Rotation done =
        rotation.checked(
            check("set " + rule.targetType(), true, started, alreadySet ? "already set" : ""));
    // Progress is saved before the hooks run: a failing check is then its own checklist line.
    done = hooks.run(done, rule, HookSpec.Phase.AFTER_SET);
    return moves.advance(done, RotationState.TEST);
  }

  private Rotation test(Rotation rotation, RotationRule rule, long started) {
    killLeftover(rotation);
    wiring.target(rule).test(wiring.pendingContext(rotation, rule));
    Rotation done = rotation.checked(check("test " + rule.targetType(), true, started, ""));
    VersionSet versions = wiring.secrets.describe(rotation.secret()).versions();
    Rotation[] finished = new Rotation[1];
    Rotation after =
        wiring.secrets.inTransaction(work -> {
          finished[0] = null;
          Rotation tested = moves.recordAdvance(work, done, RotationState.FINISH);
          Optional<Rotation> end = finishInStore(work, tested, versions);
          if (end.isPresent()) {
            finished[0] = end.get();
            return end.get();
          }
          work.rotations().save(tested);
          return tested;
        });
    if (finished[0] != null) {
      moves.announce(finished[0]);
    }
    return after;
  }

  /**
   * The finish of a rotation that has just passed its test, in the test's own unit of work, when
   * the finish needs nothing but the store: no hook runs after it and nothing is revoked (the
   * replaced version stays valid for its grace window). The rule is read in {@code work}, so the
   * finish follows the rule as it stands when the unit commits, as a finish step of its own would
   * (an edit made since the test began is seen). Empty, having written nothing, when the finish
   * needs more (it then runs as a step of its own, with a fresh read of the rule), or when the rule
   * is gone or its row fails its checks (the finish step then fails the rotation, or reports the
   * row, as before).
   */
  private Optional<Rotation> finishInStore(
      UnitOfWork work, Rotation rotation, VersionSet versions) {
    Optional<RotationStore.RuleEntry> entry;
    try {
      entry = work.rotations().rule(rotation.secret());
    } catch (KeyturnException.IntegrityFailure e) {
      return Optional.empty();
    }
    if (entry.isEmpty() || entry.get().rule().strategy() == Strategy.REENCRYPT) {
      return Optional.empty();
    }
    RotationRule rule = entry.get().rule();
    int version = rotation.pendingVersion().orElseThrow();
    Optional<Version> now = versions.version(version);
    Instant at = wiring.clock.instant();
    Optional<Instant> nextDue = Schedule.nextDue(rule.schedule(), at, wiring.random);
    Duration grace = graceAtFinish(rotation, rule, at, nextDue);
    if (now.isEmpty() || revokes(rule, grace) || hasHooks(rule, HookSpec.Phase.AFTER_FINISH)) {
      return Optional.empty();
    }
    return Optional.of(finishInStore(work, rotation, rule, now.get(), at, nextDue, grace));
  }

  /** The stage move, the next due date and the end of the rotation with its record, in work. */
  private Rotation finishInStore(
      UnitOfWork work,
      Rotation rotation,
      RotationRule rule,
      Version now,
      Instant at,
      Optional<Instant> nextDue,
      Duration grace) {
    Rotation finished = rotation.moveTo(RotationState.FINISHED, at);
    if (now.stage() == Stage.PENDING) {
      moves.auditedMove(work, rotation, now.number(), Stage.CURRENT, grace);
    }
    work.rotations().setNextDue(rotation.secret(), nextDue);
    work.rotations().save(finished);
    moves.audited(
        work,
        finished,
        "rotation.finish",
        Optional.of(now.number()),
        "ok",
        finishDetail(rule, grace));
    return finished;
  }

  /** Whether the finish revokes the replaced version (so a target acts after the stage move). */
  private static boolean revokes(RotationRule rule, Duration grace) {
    return grace.isZero() || rule.strategy() == Strategy.ALTERNATING_USERS;
  }

  private Rotation finish(Rotation rotation, RotationRule rule) {
    int version = rotation.pendingVersion().orElseThrow();
    Instant at = wiring.clock.instant();
    Optional<Instant> nextDue = Schedule.nextDue(rule.schedule(), at, wiring.random);
    Duration grace = graceAtFinish(rotation, rule, at, nextDue);
    VersionSet versions = wiring.secrets.describe(rotation.secret()).versions();
    Version now = versions.version(version).orElseThrow();
    if (rule.strategy() == Strategy.REENCRYPT) {
      return reencryption.finish(rotation, rule, now, nextDue);
    }
    boolean revokes = revokes(rule, grace);
    if (!revokes && !hasHooks(rule, HookSpec.Phase.AFTER_FINISH)) {
      // Nothing runs between the stage move and the end: both commit in one unit of work.
      Rotation finished =
          wiring.secrets.inTransaction(
              work -> finishInStore(work, rotation, rule, now, at, nextDue, grace));
      moves.announce(finished);
      return finished;
    }
    // The stage moves, their audit records and the next due date commit together.
    wiring.secrets.inTransaction(work -> {
      if (now.stage() == Stage.PENDING) {
        if (rule.strategy() == Strategy.ALTERNATING_USERS) {
          // The pending version's user held the older previous versions' password: it changed.
          for (Version old : versions.versions()) {
            if (old.stage() == Stage.PREVIOUS) {
              moves.auditedMove(work, rotation, old.number(), Stage.RETIRED, Duration.ZERO);
            }
          }
        }
        moves.auditedMove(work, rotation, version, Stage.CURRENT, grace);
      }
      work.rotations().setNextDue(rotation.secret(), nextDue);
      return null;
    });
    Rotation done = rotation;
    if (revokes) {
      done = retirements.revokeAfterFinish(done, rule);
    }
    Rotation finished;
    try {
      finished =
          hooks.run(done, rule, HookSpec.Phase.AFTER_FINISH).moveTo(RotationState.FINISHED, at);
    } catch (RotationHooks.CheckFailed e) {
      // The new value is already current; a failed check after finish cannot undo that.
      return moves.fail(
          e.rotation().withReason(e.getMessage()),
          e.getMessage()
              + " (version "
              + version
              + " is current; roll back with keyturn stage if needed)");
    }
    moves.saveAudited(
        finished, "rotation.finish", Optional.of(version), "ok", finishDetail(rule, grace));
    moves.announce(finished);
    return finished;
  }

  private static String finishDetail(RotationRule rule, Duration grace) {
    return grace.isZero()
        ? "old retired"
        : rule.strategy() == Strategy.ALTERNATING_USERS
            ? "previous valid until the next rotation"
            : "grace " + Durations.format(grace);
  }

  private static boolean hasHooks(RotationRule rule, HookSpec.Phase phase) {
    return rule.hooks().stream().anyMatch(h -> h.phase() == phase);
  }

  /**
   * How long the replaced version stays valid: the grace window (overlap, manual), nothing
   * (single-user, emergencies), or until the next rotation changes its user's password again
   * (alternating users; on-request rules keep it until then, bounded by {@link #UNTIL_NEXT}).
   */
  private static Duration graceAtFinish(
      Rotation rotation, RotationRule rule, Instant now, Optional<Instant> nextDue) {
    if (rotation.emergency()) {
      return Duration.ZERO;
    }
    if (rule.strategy() == Strategy.ALTERNATING_USERS) {
      return nextDue
          .map(due -> Duration.between(now, due))
          .filter(d -> d.isPositive())
          .orElse(UNTIL_NEXT);
    }
    return rule.strategy().keepsPreviousForGrace() ? rule.grace() : Duration.ZERO;
  }

  private Rotation rollback(Rotation rotation, RotationRule rule, long started) {
    killLeftover(rotation);
    if (rotation.pendingVersion().isPresent()) {
      TargetContext context = wiring.context(rotation, rule);
      wiring.target(rule).rollback(context);
      retirements.retirePending(rotation, rotation.pendingVersion().get());
    }
    Rotation checked = rotation.checked(check("rollback " + rule.targetType(), true, started, ""));
    return moves.fail(checked, rotation.reason().orElse("rolled back"));
  }

  /** Kills what a step of a dead server started, before the step runs again. */
  private static void killLeftover(Rotation rotation) {
    rotation.process().ifPresent(ProcessGroups::kill);
  }
}
