package dev.keyturn.backup;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Version;
import dev.keyturn.core.WriteResult;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.StoredSecret;
import dev.keyturn.core.spi.UnitOfWork;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Restores a checked {@link BackupDocument} into a store, secret by secret. {@link #plan} decides
 * for each secret, writing nothing: a missing secret is created with its versions, numbers, stages
 * and grace windows; a secret whose current value is the backup's (compared by decrypting) is left
 * as it is; a secret whose current value differs (or that was deleted since) is reported as changed
 * and left alone, unless {@code asCurrent} makes the backup's value a new current version (the
 * present one stays as previous for the grace given). {@link #apply} carries out one step in one
 * transaction with its audit records. History is never rewritten. Thread-safe.
 */
public final class Restorer {
  /** What a restore does with one secret. */
  public enum Action {
    /** Missing here: created with the backup's versions. */
    CREATE,
    /** Its current value is the backup's: nothing to do. */
    UNCHANGED,
    /** Changed (or deleted) since the backup: reported and left alone. */
    CHANGED,
    /** Changed since the backup: the backup's value becomes a new current version. */
    AS_CURRENT;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Whether the step writes. */
    public boolean writes() {
      return this == CREATE || this == AS_CURRENT;
    }
  }

  /** One secret's step: what will be (or was) done, and why, in words without a value. */
  public record Step(SecretName name, Action action, String detail) {
    public Step {
      requireNonNull(name, "name");
      requireNonNull(action, "action");
      requireNonNull(detail, "detail");
    }
  }

  private final SecretService service;
  private final Clock clock;

  public Restorer(SecretService service, Clock clock) {
    this.service = requireNonNull(service, "service");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * The secrets of {@code backup} named {@code folder} or below it (empty: all), in the backup's
   * order.
   */
  public static List<BackupSecret> selected(BackupDocument backup, String folder) {
    return backup.secrets().stream()
        .filter(s -> BackupWriter.within(s.name().value(), folder))
        .toList();
  }

  /** Decides each secret's step; writes nothing. */
  public List<Step> plan(BackupDocument backup, List<BackupSecret> secrets, boolean asCurrent) {
    return plan(backup.header(), secrets, asCurrent);
  }

  /** Decides each secret's step; writes nothing. */
  public List<Step> plan(
      BackupDocument.Header header, List<BackupSecret> secrets, boolean asCurrent) {
    Duration age = Duration.between(header.createdAt(), clock.instant());
    String ageText = "backup " + Durations.text(age.isNegative() ? Duration.ZERO : age) + " old";
    List<Step> steps = new ArrayList<>(secrets.size());
    for (BackupSecret secret : secrets) {
      steps.add(step(secret, asCurrent, ageText));
    }
    return steps;
  }

  /**
   * Whether {@code name} has a current version here now.
   *
   * @throws KeyturnException.NotFound if it does not exist
   */
  public boolean hasCurrent(SecretName name) {
    return service.describe(name).versions().current().isPresent();
  }

  private static Step create(BackupSecret secret) {
    return new Step(
        secret.name(),
        Action.CREATE,
        secret.versions().size()
            + " version"
            + (secret.versions().size() == 1 ? "" : "s")
            + " "
            + numbers(secret));
  }

  private Step step(BackupSecret secret, boolean asCurrent, String age) {
    SecretName name = secret.name();
    Optional<StoredSecret> stored = Optional.empty();
    if (service.exists(name)) {
      try {
        stored = Optional.of(service.describe(name));
      } catch (KeyturnException.NotFound e) {
        // Deleted outright between the two looks: missing, as the plan says.
      }
    }
    if (stored.isEmpty()) {
      return create(secret);
    }
    Optional<BackupVersion> wanted = secret.current();
    Optional<Version> live = stored.get().versions().current();
    if (wanted.isEmpty()) {
      return new Step(name, Action.UNCHANGED, "exists; the backup holds no current version of it");
    }
    if (live.isPresent()) {
      SecretValue value = service.read(name, Selector.current(), false);
      try {
        if (value.plaintext().sameAs(wanted.get().value())) {
          return new Step(
              name, Action.UNCHANGED, "current #" + live.get().number() + " is the backup's");
        }
      } finally {
        value.plaintext().destroy();
      }
    }
    String why =
        live.map(v ->
                "current #"
                    + v.number()
                    + " (made "
                    + v.createdAt()
                    + ") differs from the backup's #"
                    + wanted.get().metadata().number())
            .orElse("deleted since the backup");
    return asCurrent
        ? new Step(
            name, Action.AS_CURRENT, why + "; " + age + "; the backup's value becomes current")
        : new Step(name, Action.CHANGED, why + "; " + age + "; left alone (--as-current)");
  }

  /**
   * Carries out one step in its own transaction, with the records {@code records} makes (given the
   * step and the newest version it created), as {@code actor}, and returns the step as done. A step
   * that writes nothing does nothing.
   *
   * @throws KeyturnException.Conflict if the secret was created or changed since the plan
   */
  public Step apply(
      Step step,
      BackupSecret secret,
      Duration grace,
      String actor,
      BiFunction<Step, Integer, List<AuditEvent>> records) {
    applyTogether(List.of(step), List.of(secret), grace, actor, records);
    return step;
  }

  /**
   * Carries out several steps in one transaction (one commit for many secrets), each as {@link
   * #apply} would: if any of them fails, none is written, so no secret is ever half-restored. A
   * caller that gets a {@link KeyturnException.Conflict} retries the steps one by one to learn
   * which secret changed.
   *
   * @param secrets the secret of each step, in the same order
   */
  public void applyTogether(
      List<Step> steps,
      List<BackupSecret> secrets,
      Duration grace,
      String actor,
      BiFunction<Step, Integer, List<AuditEvent>> records) {
    requireNonNull(steps, "steps");
    requireNonNull(secrets, "secrets");
    requireNonNull(actor, "actor");
    requireNonNull(records, "records");
    if (steps.size() != secrets.size()) {
      throw new IllegalArgumentException("one secret per step");
    }
    for (int i = 0; i < steps.size(); i++) {
      if (!steps.get(i).name().equals(secrets.get(i).name())) {
        throw new IllegalArgumentException("the step is not for " + secrets.get(i).name());
      }
    }
    if (steps.stream().noneMatch(s -> s.action().writes())) {
      return;
    }
    // The crypto that needs no row (a data key, the fingerprints) is done here, on the caller's
    // thread, so that the store's one writer spends its transaction on the rows.
    Instant now = clock.instant();
    List<SecretService.Restoring> prepared = new ArrayList<>(steps.size());
    try {
      for (int i = 0; i < steps.size(); i++) {
        prepared.add(
            steps.get(i).action() == Action.CREATE
                ? prepare(steps.get(i), secrets.get(i), actor, now)
                : null);
      }
      service.inTransaction(work -> {
        for (int i = 0; i < steps.size(); i++) {
          applyIn(work, steps.get(i), secrets.get(i), prepared.get(i), grace, actor, records);
        }
        return null;
      });
    } finally {
      prepared.stream()
          .filter(java.util.Objects::nonNull)
          .forEach(SecretService.Restoring::destroy);
    }
  }

  private SecretService.Restoring prepare(
      Step step, BackupSecret secret, String actor, Instant now) {
    List<Version> versions = new ArrayList<>();
    Map<Integer, dev.keyturn.core.Plaintext> values = new HashMap<>();
    for (BackupVersion v : secret.versions()) {
      Version m = v.metadata();
      // The store records who wrote each version and when: the restoring token, now. The
      // backup's creator and time are the document's word, not the store's (docs/backup.md).
      versions.add(new Version(m.number(), m.stage(), m.type(), now, actor, m.acceptUntil(), ""));
      values.put(m.number(), v.value());
    }
    return service.prepareRestore(step.name(), versions, values);
  }

  private void applyIn(
      UnitOfWork work,
      Step step,
      BackupSecret secret,
      SecretService.Restoring prepared,
      Duration grace,
      String actor,
      BiFunction<Step, Integer, List<AuditEvent>> records) {
    switch (step.action()) {
      case UNCHANGED, CHANGED -> {}
      case CREATE -> {
        WriteResult result = service.restore(work, prepared);
        work.audit().append(records.apply(step, result.newest().number()));
      }
      case AS_CURRENT -> {
        BackupVersion v = secret.current().orElseThrow();
        WriteResult result =
            service.put(
                work, step.name(), v.value(), v.metadata().type(), grace, Stage.CURRENT, actor);
        work.audit().append(records.apply(step, result.newest().number()));
      }
    }
  }

  private static String numbers(BackupSecret secret) {
    StringBuilder out = new StringBuilder();
    for (BackupVersion v : secret.versions()) {
      out.append(out.isEmpty() ? "" : ", ")
          .append('#')
          .append(v.metadata().number())
          .append(' ')
          .append(v.metadata().stage().wireName());
    }
    return "(" + out + ")";
  }

  /** Durations in words for the plan ({@code 3d 4h}, {@code 12m}). */
  static final class Durations {
    private Durations() {}

    static String text(Duration d) {
      long days = d.toDays();
      long hours = d.toHoursPart();
      long minutes = d.toMinutesPart();
      if (days > 0) {
        return days + "d " + hours + "h";
      }
      if (hours > 0) {
        return hours + "h " + minutes + "m";
      }
      return Math.max(minutes, 0) + "m";
    }
  }

  /** The time the plan was made, for the caller's report. */
  public Instant now() {
    return clock.instant();
  }
}
