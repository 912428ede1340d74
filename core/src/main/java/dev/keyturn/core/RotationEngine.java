package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.Hook;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.Target;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The rotation state machine, the same for every kind of secret: {@code create} stores the new
 * value as the pending version (before any target sees it; invariant 1), {@code set} applies it
 * through the rule's {@link Target}, {@code test} checks it, {@code finish} makes it current and
 * keeps the old one as previous for the grace window. A step that fails is retried with exponential
 * back-off; when the attempts run out the rotation rolls back (the target gets the current value
 * again, the pending version is retired) and ends {@code failed}.
 *
 * <p>Every step is persisted before the next begins and is idempotent, so a rotation resumes from
 * its step after a crash on any node: {@code create} finds the pending version it made (never a
 * second new value), {@code set} first tests whether the target already has the value. At most one
 * rotation per secret runs at a time (the store enforces it). Where nothing happens outside the
 * store between two steps, they commit in one unit of work, each with its own audit record: the
 * start and {@code create} of a rotation this node runs at once ({@link #startToRun}), and {@code
 * test} and a {@code finish} that runs no hook and revokes nothing.
 *
 * <p>Thread-safe; {@link #step} may be called for different rotations concurrently.
 */
public final class RotationEngine {
  private final EngineWiring wiring;
  private final SecretService secrets;
  private final RotationStore store;
  private final Clock clock;
  private final HostPolicy host;
  private final RotationHooks hooks;
  private final RotationMoves moves;
  private final CommandWaits waits;
  private final Retirements retirements;
  private final RotationSteps steps;
  private final TargetChecks checks;

  /** How long a node's claim on a rotation lasts: longer than any step, shorter than an outage. */
  private static final Duration CLAIM = Duration.ofMinutes(10);

  /** How often {@link ClaimKeepers} look whether half of a step's claim is gone. */
  private static final Duration KEEPER_POLL = Duration.ofSeconds(1);

  /** This node's id for claims on rotations; the same across restarts of one server. */
  private final String node;

  /** This node's claims on the rotations whose steps run now, renewed while they run. */
  private final ClaimKeepers keepers;

  /** Rotations a thread of this node is stepping now; a second caller leaves them alone. */
  private final Set<String> stepping = ConcurrentHashMap.newKeySet();

  /** When this node claimed the rotations it started to run at once ({@link #startToRun}). */
  private final Map<String, Instant> claimedAtStart = new ConcurrentHashMap<>();

  public RotationEngine(
      SecretService secrets,
      RotationStore store,
      Map<String, Target> targets,
      Map<String, Hook> hooks,
      AuditLog audit,
      Clock clock,
      SecureRandom random,
      String node,
      Consumer<Rotation> onFinal) {
    this(secrets, store, targets, hooks, audit, clock, random, node, onFinal, HostPolicy.none());
  }

  /**
   * @param host what the operator allows: the commands rules may name (a rotation's steps run only
   *     on nodes whose declarations of its commands match those of the node that started it) and
   *     where scoped admins' rules may connect
   */
  public RotationEngine(
      SecretService secrets,
      RotationStore store,
      Map<String, Target> targets,
      Map<String, Hook> hooks,
      AuditLog audit,
      Clock clock,
      SecureRandom random,
      String node,
      Consumer<Rotation> onFinal,
      HostPolicy host) {
    this.wiring = new EngineWiring(secrets, store, targets, hooks, clock, random, host);
    requireNonNull(audit, "audit");
    this.node = requireNonNull(node, "node");
    requireNonNull(onFinal, "onFinal");
    this.secrets = wiring.secrets;
    this.store = wiring.store;
    this.clock = wiring.clock;
    this.host = wiring.host;
    this.hooks = new RotationHooks(wiring);
    this.moves = new RotationMoves(wiring, audit, this.hooks, onFinal);
    this.waits = new CommandWaits(wiring, moves);
    this.retirements = new Retirements(wiring, moves);
    this.steps = new RotationSteps(wiring, moves, retirements, this.hooks);
    this.checks = new TargetChecks(wiring, retirements, this.hooks);
    this.keepers = new ClaimKeepers(store, clock, node, CLAIM, KEEPER_POLL);
  }

  /** The hook types this engine knows. */
  public Set<String> hookTypes() {
    return wiring.hooks.keySet();
  }

  /**
   * Why {@code rule} cannot run on this server (it carries an inline command line, or names a
   * command the configuration file does not declare), or empty when it can. Such a rule is
   * suspended: its status is {@code invalid} and it is never started.
   */
  public Optional<String> whyNotRunnable(RotationRule rule) {
    return host.whyNotRunnable(rule);
  }

  /** The target types this engine knows. */
  public Set<String> targetTypes() {
    return wiring.targets.keySet();
  }

  /** As {@link #start(SecretName, Optional, boolean, Optional, String)} without a note. */
  public Rotation start(
      SecretName name, Optional<Plaintext> supplied, boolean emergency, String requestedBy) {
    return start(name, supplied, emergency, Optional.empty(), requestedBy);
  }

  /**
   * Starts a rotation of {@code name} under its rule. A value may be {@code supplied} only under a
   * {@code manual} rule (which needs one) and is stored as pending at once; callers check that it
   * fits the secret first (the server's {@code SuppliedValues}). Nothing is stored when a check
   * fails.
   *
   * @param note what the requester says, e.g. why an emergency rotation was started ({@link
   *     Rotation#checkNote}); recorded in the rotation and its audit record
   * @throws KeyturnException.NotFound if the secret has no rule or no current version
   * @throws KeyturnException.InvalidInput if a value is supplied under a rule that makes its own,
   *     none under a manual rule, the note is not acceptable, or the rule names commands this
   *     server does not declare
   * @throws KeyturnException.RotationInProgress if a rotation of it is running
   */
  public Rotation start(
      SecretName name,
      Optional<Plaintext> supplied,
      boolean emergency,
      Optional<String> note,
      String requestedBy) {
    return start(name, supplied, emergency, note, requestedBy, false);
  }

  /**
   * As {@link #start(SecretName, Optional, boolean, Optional, String)}, for a caller that runs the
   * rotation's steps at once ({@link #runDue}): the start takes this node's claim on it in the same
   * unit of work, so its first step needs no claim of its own. Should this node stop before, other
   * nodes resume the rotation when the claim expires.
   */
  public Rotation startToRun(
      SecretName name,
      Optional<Plaintext> supplied,
      boolean emergency,
      Optional<String> note,
      String requestedBy) {
    return start(name, supplied, emergency, note, requestedBy, true);
  }

  private Rotation start(
      SecretName name,
      Optional<Plaintext> supplied,
      boolean emergency,
      Optional<String> note,
      String requestedBy,
      boolean claim) {
    RotationRule rule = ruleOf(name);
    if (note.isPresent()) {
      Rotation.checkNote(note.get());
    }
    if (rule.strategy() == Strategy.MANUAL && supplied.isEmpty()) {
      throw new KeyturnException.InvalidInput(
          name + " is rotated manually: supply the new value (keyturn rotate NAME --stdin)");
    }
    if (rule.strategy() != Strategy.MANUAL && supplied.isPresent()) {
      throw new KeyturnException.InvalidInput(
          name
              + " is rotated with generated values ("
              + rule.generator().spec()
              + "): a value may be supplied only under a manual rule");
    }
    Optional<String> invalid = host.whyNotRunnable(rule);
    if (invalid.isPresent()) {
      throw new KeyturnException.InvalidInput(name + "'s rule cannot run: " + invalid.get());
    }
    VersionSet versions = secrets.describe(name).versions();
    Version current =
        versions
            .current()
            .orElseThrow(
                () -> new KeyturnException.NotFound(name + " has no current version to rotate"));
    Instant now = clock.instant();
    Rotation rotation =
        Rotation.builder()
            .id(newId())
            .secret(name)
            .state(RotationState.CREATE)
            .startedAt(now)
            .emergency(emergency)
            .requestedBy(requestedBy)
            .note(note)
            .commands(host.digest(HostPolicy.commandsOf(rule)))
            .build();
    if (claim && supplied.isEmpty() && versions.pending().isEmpty()) {
      Optional<Rotation> created = startCreated(rotation, rule, current.type(), now);
      if (created.isPresent()) {
        claimedAtStart.put(rotation.id(), now);
        return created.get();
      }
    }
    // With a supplied value the rotation is first seen already past create, holding its pending
    // version: a scheduler tick between two units would find it in create with no value to make.
    Rotation started =
        secrets.inTransaction(work -> {
          moves.start(work, rotation);
          if (claim) {
            work.rotations().claim(rotation.id(), node, now, now.plus(CLAIM));
          }
          return supplied.isPresent()
              ? steps.createPending(work, rotation, supplied.get(), current.type())
              : rotation;
        });
    if (claim) {
      claimedAtStart.put(rotation.id(), now);
    }
    return started;
  }

  /**
   * Starts a rotation that this node runs at once together with its create step: the rotation, this
   * node's claim, the new pending version and the move to set, with their audit records, in one
   * unit of work (one commit instead of two, and no reads of the rotation and its rule for the
   * create step). Empty when that did not happen: the value could not be made, or the unit failed
   * for anything but a rotation already running; nothing of it is stored then (the unit is atomic),
   * and the caller starts the rotation alone, so that its create step meets the same failure and
   * records it, as it would have without this (a retry, a rollback, or the end).
   *
   * @throws KeyturnException.RotationInProgress if a rotation of the secret is running
   */
  private Optional<Rotation> startCreated(
      Rotation rotation, RotationRule rule, ValueType type, Instant now) {
    Plaintext value;
    try {
      value = steps.newValue(rotation, rule);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          secrets.inTransaction(work -> {
            moves.start(work, rotation);
            work.rotations().claim(rotation.id(), node, now, now.plus(CLAIM));
            return steps.createPending(work, rotation, value, type);
          }));
    } catch (KeyturnException.RotationInProgress e) {
      throw e;
    } catch (RuntimeException e) {
      return Optional.empty();
    } finally {
      value.destroy();
    }
  }

  private RotationRule ruleOf(SecretName name) {
    return store
        .rule(name)
        .orElseThrow(() ->
            new KeyturnException.NotFound(
                name + " has no rotation rule (set one with keyturn rotation set)"))
        .rule();
  }

  /** Runs the rotation's current step if it is due; returns the rotation after it. */
  public Rotation step(String id) {
    return claimAndStep(id, false);
  }

  /**
   * Runs the rotation's step under this node's claim, and with {@code onward} the steps after it
   * while they are due, under the same claim (renewed when half of it is gone): one claim and one
   * release per run instead of one per step.
   */
  private Rotation claimAndStep(String id, boolean onward) {
    if (!stepping.add(id)) {
      // A request and the scheduler may both try; one runs the step, the other reports.
      return store.rotation(id).orElseThrow();
    }
    try {
      Rotation read = read(id);
      Optional<Rotation> waiting = otherCommands(read);
      if (waiting.isPresent()) {
        // A claim taken at the start is not for a rotation this node leaves alone: given up, a
        // node whose commands match may run it at once, not when the claim expires.
        if (claimedAtStart.remove(id) != null) {
          store.release(id, node);
        }
        return noted(waiting.get());
      }
      // Nodes sharing a store: one runs the step; a dead node's claim expires.
      Instant claimed = claimedAtStart.remove(id);
      Instant now = clock.instant();
      if (claimed == null || now.isAfter(claimed.plus(CLAIM.dividedBy(2)))) {
        claimed = now;
        if (!store.claim(id, node, now, now.plus(CLAIM))) {
          return store.rotation(id).orElseThrow();
        }
        // Read before this claim was taken: another node may have moved it until then.
        read = read(id);
      }
      Rotation before = null;
      try {
        try (ClaimKeepers.Held keeper = keepers.keep(id, claimed)) {
          before = stepOnce(read);
          claimed = keeper.claimed();
        }
        while (onward && dueAgain(before)) {
          // Read under this node's claim, held since the step before: the step runs on it.
          read = read(id);
          waiting = otherCommands(read);
          if (waiting.isPresent()) {
            return noted(waiting.get());
          }
          now = clock.instant();
          if (now.isAfter(claimed.plus(CLAIM.dividedBy(2)))) {
            if (!store.claim(id, node, now, now.plus(CLAIM))) {
              return store.rotation(id).orElseThrow();
            }
            claimed = now;
          }
          Rotation after;
          try (ClaimKeepers.Held keeper = keepers.keep(id, claimed)) {
            after = stepOnce(read);
            claimed = keeper.claimed();
          }
          boolean moved = progressed(before, after);
          before = after;
          if (!moved) {
            return after;
          }
        }
        return before;
      } finally {
        // A rotation that ended under this claim gave it up with its last save.
        if (before == null || !before.state().isFinal() || before.updatedAt().isBefore(claimed)) {
          store.release(id, node);
        }
      }
    } finally {
      stepping.remove(id);
    }
  }

  /**
   * {@code waiting}, noted as {@link CommandWaits#noted} notes it; as it is when its rule fails its
   * integrity check (the next step, on any node, ends the rotation for it).
   */
  private Rotation noted(Rotation waiting) {
    Optional<RotationStore.RuleEntry> entry;
    try {
      entry = store.rule(waiting.secret());
    } catch (KeyturnException.IntegrityFailure e) {
      return waiting;
    }
    return entry.map(e -> waits.noted(waiting, e.rule())).orElse(waiting);
  }

  private boolean dueAgain(Rotation rotation) {
    return !rotation.state().isFinal() && !rotation.nextAttemptAt().isAfter(clock.instant());
  }

  private static boolean progressed(Rotation before, Rotation after) {
    return after.state() != before.state()
        || after.attempt() != before.attempt()
        || !after.updatedAt().equals(before.updatedAt());
  }

  /**
   * The rotation, when this node must leave it alone: it was started on a node whose declarations
   * of the rule's commands differ from this node's, so running its steps here could run another
   * program for one rotation. A node with the same declarations runs it; the reason says so. Empty
   * too when the rule fails its integrity check: no node can tell whose the rotation is, and the
   * step, which then runs nothing the rule names, ends it ({@link #stepOnce}).
   */
  private Optional<Rotation> otherCommands(Rotation rotation) {
    if (rotation.commands().isEmpty() || rotation.state().isFinal()) {
      return Optional.empty();
    }
    Optional<RotationStore.RuleEntry> entry;
    try {
      entry = store.rule(rotation.secret());
    } catch (KeyturnException.IntegrityFailure e) {
      return Optional.empty();
    }
    if (entry.isEmpty()
        || host.digest(HostPolicy.commandsOf(entry.get().rule())).equals(rotation.commands())) {
      return Optional.empty();
    }
    return Optional.of(rotation);
  }

  private Rotation read(String id) {
    return store
        .rotation(id)
        .orElseThrow(() -> new KeyturnException.NotFound("rotation " + id + " does not exist"));
  }

  /**
   * Runs the step of {@code rotation}, as read under this node's claim, if it is due. A rule that
   * fails its integrity check ends the rotation {@code failed} at once, saying so, with nothing the
   * rule names run: no target call (no rollback either) and no hook, since the rule's settings are
   * not Keyturn's; the versions stay as they are for a person to look at. A store that cannot be
   * read ({@link KeyturnException.Unavailable}) leaves the rotation as it is for a later try.
   */
  private Rotation stepOnce(Rotation rotation) {
    Instant now = clock.instant();
    if (rotation.state().isFinal() || rotation.nextAttemptAt().isAfter(now)) {
      return rotation;
    }
    Optional<RotationStore.RuleEntry> entry;
    try {
      entry = store.rule(rotation.secret());
    } catch (KeyturnException.IntegrityFailure e) {
      return moves.failUnhooked(rotation, RotationMoves.untrustedRule(e));
    }
    if (entry.isEmpty()) {
      return moves.fail(rotation, "the rotation rule was removed while the rotation ran");
    }
    RotationRule rule = entry.get().rule();
    rotation = waits.resumed(rotation);
    long started = System.nanoTime();
    try {
      return steps.run(rotation, rule, started);
    } catch (KeyturnException.Unavailable e) {
      // The store or the audit log is down: nothing changed; try the same step again later.
      Rotation retry = rotation.waitUntil(now.plus(rule.backoff()), now).withReason(e.getMessage());
      store.save(retry);
      return retry;
    } catch (KeyturnException.IntegrityFailure e) {
      // The store's rows disagree: a retry cannot help, and a rollback would act on them.
      return moves.fail(rotation, e.getMessage());
    } catch (RuntimeException e) {
      return moves.failedStep(rotation, rule, e, started);
    }
  }

  /** Steps the rotation until it ends or has to wait; for callers that want the outcome now. */
  public Rotation runDue(String id) {
    // No read before the first round: its outcome is compared with the next round's instead.
    Rotation after = null;
    while (true) {
      Rotation before = after;
      after = claimAndStep(id, true);
      if (after.state().isFinal() || after.nextAttemptAt().isAfter(clock.instant())) {
        return after;
      }
      if (before == null || progressed(before, after)) {
        continue;
      }
      if (!stepping.contains(id)) {
        return after; // another node holds it, or it waits for a node with its commands
      }
      // The scheduler of this node is running the step: wait for its outcome, as callers expect.
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return after;
      }
    }
  }

  /**
   * Abandons a rotation that has not finished: it rolls back and ends {@code failed}.
   *
   * @throws KeyturnException.Conflict if it has ended, can no longer be cancelled, or a node is
   *     running one of its steps (then a cancel later may succeed)
   */
  public Rotation cancel(String id, String by) {
    if (!stepping.add(id)) {
      throw new KeyturnException.Conflict(
          "rotation " + id + " is running a step; try again in a moment");
    }
    try {
      read(id);
      // A node running a step holds the rotation's claim, and its step saves the state it moved to
      // over a cancel's: so the cancel waits for the claim, as a step does.
      Instant now = clock.instant();
      if (!store.claim(id, node, now, now.plus(CLAIM))) {
        throw new KeyturnException.Conflict(
            "rotation " + id + " is running a step on another node; try again in a moment");
      }
      try {
        return moves.cancel(read(id), by);
      } finally {
        store.release(id, node);
        // A claim this node took at the start is gone now: the first step claims again.
        claimedAtStart.remove(id);
      }
    } finally {
      stepping.remove(id);
    }
  }

  /**
   * Retires the secret's previous versions whose grace window ended, after the rule's target has
   * stopped accepting them (a Redis password is removed first, so a failure leaves the version
   * previous and the next call tries again).
   */
  public WriteResult retireExpired(SecretName name) {
    return retirements.retireExpired(name);
  }

  /**
   * Runs the target's setup for the secret's rule ({@code keyturn target setup}); returns what it
   * did. The caller audits it.
   */
  public List<String> setup(SecretName name) {
    return checks.setup(ruleOf(name), name);
  }

  /**
   * Refuses {@code value} for a plain put to {@code name} when the secret's rule's target does not
   * allow it ({@link Target#checkWrite}); a secret without a rule takes any value.
   */
  public void checkWrite(SecretName name, Plaintext value) {
    checks.checkWrite(name, value);
  }

  /**
   * Has the rule's target and each of its hooks check their settings, reading the secrets the rule
   * names where a check needs their shape; touches no target.
   *
   * @throws KeyturnException.InvalidInput naming the setting that is wrong
   */
  public void validate(RotationRule rule) {
    checks.validate(rule);
  }

  /** The rule with the target's defaults filled in, checked against the current value. */
  public RotationRule prepare(RotationRule rule) {
    return checks.prepare(rule);
  }

  private String newId() {
    byte[] bytes = new byte[8];
    wiring.random.nextBytes(bytes);
    return "rot_" + HexFormat.of().formatHex(bytes);
  }
}
