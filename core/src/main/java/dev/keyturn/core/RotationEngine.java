package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Rotation.CheckResult;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.Hook;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import dev.keyturn.core.spi.UnitOfWork;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * rotation per secret runs at a time (the store enforces it).
 *
 * <p>Thread-safe; {@link #step} may be called for different rotations concurrently.
 */
public final class RotationEngine {
  private final SecretService secrets;
  private final RotationStore store;
  private final Map<String, Target> targets;
  private final Map<String, Hook> hooks;
  private final AuditLog audit;
  private final Clock clock;
  private final SecureRandom random;
  private final Consumer<Rotation> onFinal;
  private final HostPolicy host;

  /** How long a node's claim on a rotation lasts: longer than any step, shorter than an outage. */
  private static final Duration CLAIM = Duration.ofMinutes(10);

  /** This node's id for claims on rotations; the same across restarts of one server. */
  private final String node;

  /** Rotations a thread of this node is stepping now; a second caller leaves them alone. */
  private final java.util.Set<String> stepping = java.util.concurrent.ConcurrentHashMap.newKeySet();

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
    this.host = requireNonNull(host, "host");
    this.secrets = requireNonNull(secrets, "secrets");
    this.store = requireNonNull(store, "store");
    this.targets = Map.copyOf(targets);
    this.hooks = Map.copyOf(hooks);
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
    this.random = requireNonNull(random, "random");
    this.node = requireNonNull(node, "node");
    this.onFinal = requireNonNull(onFinal, "onFinal");
  }

  /** The hook types this engine knows. */
  public java.util.Set<String> hookTypes() {
    return hooks.keySet();
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
  public java.util.Set<String> targetTypes() {
    return targets.keySet();
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
    secrets
        .describe(name)
        .versions()
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
    Rotation starting = rotation;
    String detail =
        ((emergency ? "emergency" : "") + note.map(n -> " reason=" + quote(n)).orElse("")).strip();
    // With a supplied value the rotation is first seen already past create, holding its pending
    // version: a scheduler tick between two units would find it in create with no value to make.
    return secrets.inTransaction(work -> {
      work.rotations().start(starting);
      audited(work, starting, "rotation.start", Optional.empty(), "ok", detail);
      return supplied.isPresent() ? createPending(work, starting, supplied.get()) : starting;
    });
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
    if (!stepping.add(id)) {
      // A request and the scheduler may both try; one runs the step, the other reports.
      return store.rotation(id).orElseThrow();
    }
    try {
      Optional<Rotation> waiting = otherCommands(id);
      if (waiting.isPresent()) {
        return waiting.get();
      }
      // Nodes sharing a store: one runs the step; a dead node's claim expires.
      Instant now = clock.instant();
      if (!store.claim(id, node, now, now.plus(CLAIM))) {
        return store.rotation(id).orElseThrow();
      }
      try {
        return stepOnce(id);
      } finally {
        store.release(id, node);
      }
    } finally {
      stepping.remove(id);
    }
  }

  /**
   * The rotation, when this node must leave it alone: it was started on a node whose declarations
   * of the rule's commands differ from this node's, so running its steps here could run another
   * program for one rotation. A node with the same declarations runs it; the reason says so.
   */
  private Optional<Rotation> otherCommands(String id) {
    Rotation rotation = store.rotation(id).orElseThrow();
    if (rotation.commands().isEmpty() || rotation.state().isFinal()) {
      return Optional.empty();
    }
    Optional<RotationStore.RuleEntry> entry = store.rule(rotation.secret());
    if (entry.isEmpty()
        || host.digest(HostPolicy.commandsOf(entry.get().rule())).equals(rotation.commands())) {
      return Optional.empty();
    }
    return Optional.of(rotation);
  }

  private Rotation stepOnce(String id) {
    Rotation rotation =
        store
            .rotation(id)
            .orElseThrow(() -> new KeyturnException.NotFound("rotation " + id + " does not exist"));
    Instant now = clock.instant();
    if (rotation.state().isFinal() || rotation.nextAttemptAt().isAfter(now)) {
      return rotation;
    }
    Optional<RotationStore.RuleEntry> entry = store.rule(rotation.secret());
    if (entry.isEmpty()) {
      return fail(rotation, "the rotation rule was removed while the rotation ran");
    }
    RotationRule rule = entry.get().rule();
    long started = System.nanoTime();
    try {
      return switch (rotation.state()) {
        case CREATE -> create(rotation, rule);
        case SET -> set(rotation, rule, started);
        case TEST -> test(rotation, rule, started);
        case FINISH -> finish(rotation, rule);
        case ROLLBACK -> rollback(rotation, rule, started);
        case FINISHED, FAILED -> rotation;
      };
    } catch (KeyturnException.Unavailable e) {
      // The store or the audit log is down: nothing changed; try the same step again later.
      Rotation retry = rotation.waitUntil(now.plus(rule.backoff()), now).withReason(e.getMessage());
      store.save(retry);
      return retry;
    } catch (RuntimeException e) {
      return failedStep(rotation, rule, e, started);
    }
  }

  /** Steps the rotation until it ends or has to wait; for callers that want the outcome now. */
  public Rotation runDue(String id) {
    Rotation after = store.rotation(id).orElseThrow();
    while (true) {
      Rotation before = after;
      after = step(id);
      if (after.state().isFinal() || after.nextAttemptAt().isAfter(clock.instant())) {
        return after;
      }
      boolean progressed =
          after.state() != before.state()
              || after.attempt() != before.attempt()
              || !after.updatedAt().equals(before.updatedAt());
      if (progressed) {
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

  /** Abandons a rotation that has not finished: it rolls back and ends {@code failed}. */
  public Rotation cancel(String id, String by) {
    if (!stepping.add(id)) {
      throw new KeyturnException.Conflict(
          "rotation " + id + " is running a step; try again in a moment");
    }
    try {
      return cancelLocked(id, by);
    } finally {
      stepping.remove(id);
    }
  }

  private Rotation cancelLocked(String id, String by) {
    Rotation rotation =
        store
            .rotation(id)
            .orElseThrow(() -> new KeyturnException.NotFound("rotation " + id + " does not exist"));
    if (rotation.state().isFinal()) {
      throw new KeyturnException.Conflict(
          "rotation " + id + " has already ended " + rotation.state().wireName());
    }
    if (rotation.state() == RotationState.FINISH || rotation.state() == RotationState.ROLLBACK) {
      throw new KeyturnException.Conflict(
          "rotation "
              + id
              + " is in "
              + rotation.state().wireName()
              + " and can no longer be cancelled");
    }
    Rotation rollingBack =
        rotation.moveTo(RotationState.ROLLBACK, clock.instant()).withReason("cancelled by " + by);
    saveAudited(rollingBack, "rotation.cancel", rotation.pendingVersion(), "ok", "");
    return rollingBack;
  }

  private Rotation create(Rotation rotation, RotationRule rule) {
    if (rotation.pendingVersion().isPresent()) {
      return advance(rotation, RotationState.SET, rule);
    }
    VersionSet versions = secrets.describe(rotation.secret()).versions();
    Optional<Version> pending = versions.pending();
    if (pending.isPresent() && !pending.get().createdBy().equals(rotation.creatorTag())) {
      rotation = retireLeftover(rotation, rule, pending.get());
      pending = Optional.empty();
    }
    if (pending.isPresent()) {
      // A crash after the value was stored but before this step was recorded: adopt it.
      Rotation adopted = rotation.withPending(pending.get().number(), clock.instant());
      return advance(adopted, RotationState.SET, rule);
    }
    if (rule.generator().isManual()) {
      throw new KeyturnException.InvalidInput("a manual rotation needs the new value");
    }
    Plaintext generated = rule.generator().generate(random);
    Plaintext value;
    try {
      value =
          target(rule)
              .nextValue(
                  rule,
                  secrets.read(rotation.secret(), Selector.current(), false),
                  generated,
                  rotation.emergency());
    } finally {
      generated.destroy();
    }
    try {
      return createPending(rotation, rule, value);
    } finally {
      value.destroy();
    }
  }

  /**
   * Retires a pending version that an earlier rotation made and left behind when it ended {@code
   * failed} (its rollback failed too): the engine owns what it leaves. Where the target can tell,
   * it is first checked not to be using that version; if it is, a person decides.
   *
   * @throws KeyturnException.Conflict if the version was not made by a failed rotation, or the
   *     target uses it
   */
  private Rotation retireLeftover(Rotation rotation, RotationRule rule, Version leftover) {
    SecretName name = rotation.secret();
    Optional<Rotation> maker =
        Rotation.idFromCreatorTag(leftover.createdBy()).flatMap(store::rotation);
    if (maker.isEmpty() || maker.get().state() != RotationState.FAILED) {
      throw new KeyturnException.Conflict(
          name
              + "#"
              + leftover.number()
              + " is pending and was not made by a failed rotation; promote or retire it first");
    }
    long started = System.nanoTime();
    Target target = target(rule);
    TargetContext context = context(rotation, rule, leftover.number());
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
    secrets.inTransaction(work -> {
      auditedMove(work, rotation, leftover.number(), Stage.RETIRED, Duration.ZERO);
      audited(
          work, retired, "rotation.retire-leftover", Optional.of(leftover.number()), "ok", detail);
      return null;
    });
    return retired;
  }

  private Rotation createPending(Rotation rotation, RotationRule rule, Plaintext value) {
    // The pending version, its audit records and the rotation's move to set commit together.
    return secrets.inTransaction(work -> createPending(work, rotation, value));
  }

  private Rotation createPending(UnitOfWork work, Rotation rotation, Plaintext value) {
    ValueType type =
        secrets
            .describe(rotation.secret())
            .versions()
            .current()
            .map(Version::type)
            .orElse(ValueType.STRING);
    WriteResult written =
        secrets.put(
            work,
            rotation.secret(),
            value,
            type,
            Duration.ZERO,
            Stage.PENDING,
            rotation.creatorTag());
    int number = written.newest().number();
    Rotation created = rotation.withPending(number, clock.instant());
    work.audit().append(written.auditEvents(clock.instant(), rotation.requestedBy(), "engine"));
    audited(work, created, "rotation.create", Optional.of(number), "ok", "pending");
    return advance(work, created, RotationState.SET);
  }

  private Rotation set(Rotation rotation, RotationRule rule, long started) {
    TargetContext context = context(rotation, rule);
    Instant now = clock.instant();
    if (rule.strategy() == Strategy.OVERLAP && !rule.propagation().isZero()) {
      // Verifiers learn the new key first; signers switch only after the propagation delay.
      Instant ready = context.pending().version().createdAt().plus(rule.propagation());
      if (ready.isAfter(now)) {
        Rotation waiting = rotation.waitUntil(ready, now);
        store.save(waiting);
        return waiting;
      }
    }
    killLeftover(rotation);
    Target target = target(rule);
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
    done = runHooks(done, rule, HookSpec.Phase.AFTER_SET);
    return advance(done, RotationState.TEST, rule);
  }

  private Rotation test(Rotation rotation, RotationRule rule, long started) {
    killLeftover(rotation);
    target(rule).test(context(rotation, rule));
    Rotation done = rotation.checked(check("test " + rule.targetType(), true, started, ""));
    return advance(done, RotationState.FINISH, rule);
  }

  private Rotation finish(Rotation rotation, RotationRule rule) {
    int version = rotation.pendingVersion().orElseThrow();
    Instant at = clock.instant();
    Optional<Instant> nextDue = Schedule.nextDue(rule.schedule(), at, random);
    Duration grace = graceAtFinish(rotation, rule, at, nextDue);
    VersionSet versions = secrets.describe(rotation.secret()).versions();
    Version now = versions.version(version).orElseThrow();
    // The stage moves, their audit records and the next due date commit together.
    secrets.inTransaction(work -> {
      if (now.stage() == Stage.PENDING) {
        if (rule.strategy() == Strategy.ALTERNATING_USERS) {
          // The pending version's user held the older previous versions' password: it changed.
          for (Version old : versions.versions()) {
            if (old.stage() == Stage.PREVIOUS) {
              auditedMove(work, rotation, old.number(), Stage.RETIRED, Duration.ZERO);
            }
          }
        }
        auditedMove(work, rotation, version, Stage.CURRENT, grace);
      }
      work.rotations().setNextDue(rotation.secret(), nextDue);
      return null;
    });
    Rotation done = rotation;
    if (grace.isZero() || rule.strategy() == Strategy.ALTERNATING_USERS) {
      done = revoke(done, rule);
    }
    Rotation finished;
    try {
      finished =
          runHooks(done, rule, HookSpec.Phase.AFTER_FINISH).moveTo(RotationState.FINISHED, at);
    } catch (CheckFailed e) {
      // The new value is already current; a failed check after finish cannot undo that.
      return fail(
          e.rotation.withReason(e.getMessage()),
          e.getMessage()
              + " (version "
              + version
              + " is current; roll back with keyturn stage if needed)");
    }
    saveAudited(
        finished,
        "rotation.finish",
        Optional.of(version),
        "ok",
        grace.isZero()
            ? "old retired"
            : rule.strategy() == Strategy.ALTERNATING_USERS
                ? "previous valid until the next rotation"
                : "grace " + Durations.format(grace));
    onFinal.accept(finished);
    return finished;
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

  /** The bound on an alternating user's previous version when no rotation is scheduled. */
  private static final Duration UNTIL_NEXT = Duration.ofDays(3650);

  /**
   * Has the target revoke what is no longer valid after a finish. The new version is already
   * current, so a failure cannot undo anything: it is recorded in the checklist and audited, and
   * the next revocation (grace end, next rotation) tries again.
   */
  private Rotation revoke(Rotation rotation, RotationRule rule) {
    long started = System.nanoTime();
    try {
      target(rule)
          .revoke(
              new Target.RevokeContext(
                  rule,
                  () -> liveValues(rotation.secret()),
                  name -> secrets.read(name, Selector.current(), false),
                  rule.outbound(host.outbound())));
      return rotation;
    } catch (RuntimeException e) {
      audit(rotation, "rotation.revoke", rotation.pendingVersion(), "failed", describe(e));
      return rotation.checked(check("revoke " + rule.targetType(), false, started, describe(e)));
    }
  }

  /** The versions valid now, current first. */
  private List<SecretValue> liveValues(SecretName name) {
    List<SecretValue> live = new java.util.ArrayList<>(secrets.keyring(name));
    live.sort(
        java.util.Comparator.comparing((SecretValue v) -> v.version().stage() != Stage.CURRENT));
    return live;
  }

  /**
   * Retires the secret's previous versions whose grace window ended, after the rule's target has
   * stopped accepting them (a Redis password is removed first, so a failure leaves the version
   * previous and the next call tries again).
   */
  public WriteResult retireExpired(SecretName name) {
    Optional<RotationStore.RuleEntry> entry = store.rule(name);
    if (entry.isPresent()) {
      RotationRule rule = entry.get().rule();
      target(rule)
          .revoke(
              new Target.RevokeContext(
                  rule,
                  () -> liveValues(name),
                  n -> secrets.read(n, Selector.current(), false),
                  rule.outbound(host.outbound())));
    }
    return secrets.inTransaction(work -> {
      WriteResult result = secrets.retireExpired(work, name);
      work.audit().append(result.auditEvents(clock.instant(), "scheduler", "engine"));
      return result;
    });
  }

  /**
   * Runs the target's setup for the secret's rule ({@code keyturn target setup}); returns what it
   * did. The caller audits it.
   */
  public List<String> setup(SecretName name) {
    RotationRule rule = ruleOf(name);
    return target(rule)
        .setup(
            new Target.RevokeContext(
                rule,
                () -> liveValues(name),
                n -> secrets.read(n, Selector.current(), false),
                rule.outbound(host.outbound())));
  }

  /**
   * Refuses {@code value} for a plain put to {@code name} when the secret's rule's target does not
   * allow it ({@link Target#checkWrite}); a secret without a rule takes any value.
   */
  public void checkWrite(SecretName name, Plaintext value) {
    Optional<RotationStore.RuleEntry> entry = store.rule(name);
    if (entry.isEmpty()) {
      return;
    }
    RotationRule rule = entry.get().rule();
    Optional<SecretValue> current;
    try {
      current = Optional.of(secrets.read(name, Selector.current(), false));
    } catch (KeyturnException.NotFound e) {
      current = Optional.empty();
    }
    try {
      target(rule).checkWrite(rule, current, value);
    } finally {
      current.ifPresent(v -> v.plaintext().destroy());
    }
  }

  /**
   * Has the rule's target and each of its hooks check their settings, reading the secrets the rule
   * names where a check needs their shape; touches no target.
   *
   * @throws KeyturnException.InvalidInput naming the setting that is wrong
   */
  public void validate(RotationRule rule) {
    java.util.function.Function<SecretName, SecretValue> read =
        n -> secrets.read(n, Selector.current(), false);
    target(rule).validate(rule, read);
    for (HookSpec spec : rule.hooks()) {
      Hook hook = hooks.get(spec.type());
      if (hook != null) {
        hook.validate(spec, read);
      }
    }
  }

  /** The rule with the target's defaults filled in, checked against the current value. */
  public RotationRule prepare(RotationRule rule) {
    return target(rule).prepare(rule, secrets.read(rule.secret(), Selector.current(), false));
  }

  private Rotation rollback(Rotation rotation, RotationRule rule, long started) {
    killLeftover(rotation);
    if (rotation.pendingVersion().isPresent()) {
      TargetContext context = context(rotation, rule);
      target(rule).rollback(context);
      int version = rotation.pendingVersion().get();
      Version pending =
          secrets.describe(rotation.secret()).versions().version(version).orElseThrow();
      if (pending.stage() == Stage.PENDING) {
        secrets.inTransaction(work -> {
          auditedMove(work, rotation, version, Stage.RETIRED, Duration.ZERO);
          return null;
        });
      }
    }
    Rotation checked = rotation.checked(check("rollback " + rule.targetType(), true, started, ""));
    return fail(checked, rotation.reason().orElse("rolled back"));
  }

  private Rotation fail(Rotation rotation, String reason) {
    Rotation failed = rotation.moveTo(RotationState.FAILED, clock.instant()).withReason(reason);
    Optional<RotationStore.RuleEntry> entry = store.rule(rotation.secret());
    if (entry.isPresent()) {
      failed = runHooks(failed, entry.get().rule(), HookSpec.Phase.ON_FAILURE);
    }
    saveAudited(failed, "rotation.failed", rotation.pendingVersion(), "failed", reason);
    onFinal.accept(failed);
    return failed;
  }

  private Rotation failedStep(
      Rotation rotation, RotationRule rule, RuntimeException e, long started) {
    Instant now = clock.instant();
    String why = rotation.state().wireName() + " failed: " + describe(e);
    Rotation checked;
    if (e instanceof CheckFailed failed) {
      // The step itself worked; the check has its own line in the checklist already.
      checked = failed.rotation.toBuilder().process(Optional.empty()).build();
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
        store.save(retry);
        return retry;
      }
      return fail(checked, rotation.reason().orElse("") + "; rollback failed too: " + describe(e));
    }
    if (e instanceof KeyturnException.Conflict
        || e instanceof KeyturnException.InvalidInput
        || e instanceof KeyturnException.Forbidden
        || (e instanceof KeyturnException.TargetFailure f && !f.retryable())) {
      // Retrying cannot help (and retrying a refused login can lock an account): roll back now.
      Rotation rollingBack = checked.moveTo(RotationState.ROLLBACK, now).withReason(why);
      saveAudited(rollingBack, "rotation.rollback", rotation.pendingVersion(), "ok", why);
      return rollingBack;
    }
    if (checked.attempt() + 1 < rule.attempts()) {
      Rotation retry = checked.retryAt(now.plus(backoff(rule, checked.attempt())), now, why);
      saveAudited(retry, "rotation.retry", rotation.pendingVersion(), "failed", why);
      return retry;
    }
    Rotation rollingBack = checked.moveTo(RotationState.ROLLBACK, now).withReason(why);
    saveAudited(rollingBack, "rotation.rollback", rotation.pendingVersion(), "ok", why);
    return rollingBack;
  }

  private Rotation advance(Rotation rotation, RotationState next, RotationRule rule) {
    return secrets.inTransaction(work -> advance(work, rotation, next));
  }

  /** Moves the rotation to {@code next} and records the step, in {@code work}. */
  private Rotation advance(UnitOfWork work, Rotation rotation, RotationState next) {
    Rotation moved = rotation.moveTo(next, clock.instant());
    work.rotations().save(moved);
    audited(
        work,
        moved,
        "rotation." + rotation.state().wireName(),
        rotation.pendingVersion(),
        "ok",
        "-> " + next.wireName());
    return moved;
  }

  /** Saves the rotation's new state with its audit record, in one unit of work (invariant 9). */
  private void saveAudited(
      Rotation rotation, String action, Optional<Integer> version, String result, String detail) {
    secrets.inTransaction(work -> {
      work.rotations().save(rotation);
      audited(work, rotation, action, version, result, detail);
      return null;
    });
  }

  /** Moves a version for the rotation and records the move, in {@code work}. */
  private void auditedMove(
      UnitOfWork work, Rotation rotation, int version, Stage stage, Duration grace) {
    WriteResult moved =
        secrets.move(work, rotation.secret(), version, stage, grace, rotation.creatorTag());
    work.audit().append(moved.auditEvents(clock.instant(), rotation.requestedBy(), "engine"));
  }

  /**
   * Runs the rule's hooks of {@code phase} in order, recording each in the checklist. A failing
   * check throws (failing the step); a failing hook is recorded and the others still run.
   */
  private Rotation runHooks(Rotation rotation, RotationRule rule, HookSpec.Phase phase) {
    Rotation out = rotation;
    for (HookSpec spec : rule.hooks()) {
      if (spec.phase() != phase) {
        continue;
      }
      long started = System.nanoTime();
      Hook hook = hooks.get(spec.type());
      try {
        if (hook == null) {
          throw new KeyturnException.TargetFailure("unknown hook type '" + spec.type() + "'");
        }
        hook.run(
            spec,
            rule,
            out,
            name -> secrets.read(name, Selector.current(), false),
            rule.outbound(host.outbound()));
        out = out.checked(check(spec.label(), true, started, ""));
      } catch (RuntimeException e) {
        out = out.checked(check(spec.label(), false, started, describe(e)));
        if (spec.check()) {
          throw new CheckFailed(spec.label() + " failed: " + describe(e), out);
        }
      }
    }
    return out;
  }

  /** A check hook failed after its step worked; carries the checklist up to and with it. */
  private static final class CheckFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Rotation rotation;

    CheckFailed(String message, Rotation rotation) {
      super(message, null, false, false);
      this.rotation = rotation;
    }
  }

  private TargetContext context(Rotation rotation, RotationRule rule) {
    return context(rotation, rule, rotation.pendingVersion().orElseThrow());
  }

  private TargetContext context(Rotation rotation, RotationRule rule, int pendingVersion) {
    SecretValue pending = secrets.read(rotation.secret(), Selector.version(pendingVersion), true);
    Optional<SecretValue> current;
    try {
      current = Optional.of(secrets.read(rotation.secret(), Selector.current(), true));
    } catch (KeyturnException.NotFound e) {
      current = Optional.empty();
    }
    return new TargetContext(
        rule,
        rotation,
        pending,
        current,
        name -> secrets.read(name, Selector.current(), false),
        pid -> store.save(rotation.withProcess(Optional.of(pid), clock.instant())),
        rule.outbound(host.outbound()));
  }

  /** Kills what a step of a dead server started, before the step runs again. */
  private void killLeftover(Rotation rotation) {
    rotation.process().ifPresent(ProcessGroups::kill);
  }

  private Target target(RotationRule rule) {
    Target target = targets.get(rule.targetType());
    if (target == null) {
      throw new KeyturnException.InvalidInput("unknown target type '" + rule.targetType() + "'");
    }
    return target;
  }

  private static Duration backoff(RotationRule rule, int failures) {
    return rule.backoff().multipliedBy(1L << Math.min(failures, 16));
  }

  private static CheckResult check(String name, boolean ok, long startedNanos, String message) {
    return new CheckResult(name, ok, (System.nanoTime() - startedNanos) / 1_000_000, message);
  }

  /** What a checklist and the audit say of a failure: Keyturn's own message, else no detail. */
  private static String describe(RuntimeException e) {
    return e instanceof KeyturnException || e instanceof CheckFailed
        ? e.getMessage()
        : "failed unexpectedly";
  }

  /** {@code text} in double quotes, with quotes and backslashes escaped. */
  private static String quote(String text) {
    return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private void audit(
      Rotation rotation, String action, Optional<Integer> version, String result, String detail) {
    audit.append(List.of(event(rotation, action, version, result, detail)));
  }

  private void audited(
      UnitOfWork work,
      Rotation rotation,
      String action,
      Optional<Integer> version,
      String result,
      String detail) {
    work.audit().append(List.of(event(rotation, action, version, result, detail)));
  }

  private AuditEvent event(
      Rotation rotation, String action, Optional<Integer> version, String result, String detail) {
    return new AuditEvent(
        clock.instant(),
        rotation.requestedBy(),
        "engine",
        action,
        Optional.of(rotation.secret().value()),
        version,
        result,
        (rotation.id() + " " + detail).strip());
  }

  private String newId() {
    byte[] bytes = new byte[8];
    random.nextBytes(bytes);
    return "rot_" + HexFormat.of().formatHex(bytes);
  }
}
