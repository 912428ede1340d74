package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * All versions of one secret, and the one place where stage rules are checked. Like a Tink keyset,
 * every instance is valid: at most one {@code current}, at most one {@code pending}, unique version
 * numbers. Changes return a new instance; a refused change throws {@link KeyturnException.Conflict}
 * naming the version and the move, and leaves this one as it was.
 *
 * <p>Immutable and thread-safe.
 */
public record VersionSet(SecretName name, List<Version> versions) {
  private static final Comparator<Version> NEWEST_FIRST =
      Comparator.comparingInt(Version::number).reversed();

  public VersionSet {
    requireNonNull(name, "name");
    versions = versions.stream().sorted(Comparator.comparingInt(Version::number)).toList();
    for (int i = 1; i < versions.size(); i++) {
      if (versions.get(i).number() == versions.get(i - 1).number()) {
        throw new IllegalArgumentException(
            name + ": version " + versions.get(i).number() + " twice");
      }
    }
    if (count(versions, Stage.CURRENT) > 1) {
      throw new IllegalArgumentException(name + ": more than one current version");
    }
    if (count(versions, Stage.PENDING) > 1) {
      throw new IllegalArgumentException(name + ": more than one pending version");
    }
  }

  public static VersionSet empty(SecretName name) {
    return new VersionSet(name, List.of());
  }

  public Optional<Version> current() {
    return inStage(Stage.CURRENT);
  }

  public Optional<Version> pending() {
    return inStage(Stage.PENDING);
  }

  public Optional<Version> version(int number) {
    return versions.stream().filter(v -> v.number() == number).findFirst();
  }

  /** The newest previous version whose grace window is still open at {@code now}. */
  public Optional<Version> newestPrevious(Instant now) {
    return newestPrevious(now, Set.of());
  }

  /**
   * The newest previous version whose grace window is still open at {@code now}, or that is {@code
   * held} by a live consumer past it.
   */
  public Optional<Version> newestPrevious(Instant now, Set<Integer> held) {
    return versions.stream()
        .filter(v -> v.stage() == Stage.PREVIOUS && !gone(v, now, held))
        .max(Comparator.comparingInt(Version::number));
  }

  /** The next version number: numbers are never reused, even after retirement or destruction. */
  public int nextNumber() {
    return versions.isEmpty() ? 1 : versions.get(versions.size() - 1).number() + 1;
  }

  /** True when no version is served any more (all retired, or none yet). */
  public boolean allRetired() {
    return versions.stream().allMatch(v -> v.stage() == Stage.RETIRED);
  }

  /**
   * What a verifier or decrypter should accept at {@code now}: the pending version, the current
   * one, and previous versions inside their grace window, newest first.
   */
  public List<Version> keyring(Instant now) {
    return keyring(now, Set.of());
  }

  /** As {@link #keyring(Instant)}, with the previous versions {@code held} by live consumers. */
  public List<Version> keyring(Instant now, Set<Integer> held) {
    return versions.stream()
        .filter(v -> v.stage() != Stage.RETIRED && !gone(v, now, held))
        .sorted(NEWEST_FIRST)
        .toList();
  }

  /** Retires every previous version whose grace window has ended at {@code now}. */
  public VersionSet expire(Instant now) {
    return expire(now, Set.of());
  }

  /**
   * Retires every previous version whose grace window has ended at {@code now}, but those {@code
   * held} by live consumers (numbers of versions past their grace window; see {@link Holds}).
   */
  public VersionSet expire(Instant now, Set<Integer> held) {
    requireNonNull(held, "held");
    if (versions.stream().noneMatch(v -> gone(v, now, held))) {
      return this;
    }
    return new VersionSet(
        name,
        versions.stream()
            .map(v -> gone(v, now, held) ? v.withStage(Stage.RETIRED, Optional.empty()) : v)
            .toList());
  }

  /** True if some previous version's grace window has ended at {@code now}, held or not. */
  public boolean anyExpired(Instant now) {
    return versions.stream().anyMatch(v -> v.expiredAt(now));
  }

  private static boolean gone(Version v, Instant now, Set<Integer> held) {
    return v.expiredAt(now) && !held.contains(v.number());
  }

  /**
   * Adds {@code version}, which must be new and {@code current} or {@code pending}. A new current
   * version demotes the old one: to {@code previous} until {@code now + grace}, or straight to
   * {@code retired} when {@code grace} is zero.
   */
  public VersionSet add(Version version, Duration grace, Instant now) {
    return add(version, grace, now, Set.of());
  }

  /** As {@link #add(Version, Duration, Instant)}, keeping the previous versions {@code held}. */
  public VersionSet add(Version version, Duration grace, Instant now, Set<Integer> held) {
    requireNonNull(version, "version");
    if (version.number() != nextNumber()) {
      throw new IllegalArgumentException(
          name + ": new version must be #" + nextNumber() + ", not #" + version.number());
    }
    List<Version> next = new ArrayList<>(expire(now, held).versions);
    switch (version.stage()) {
      case CURRENT -> demoteCurrent(next, grace, now);
      case PENDING -> {
        Optional<Version> pending = pending();
        if (pending.isPresent()) {
          throw new KeyturnException.Conflict(
              name
                  + "#"
                  + pending.get().number()
                  + " is already pending; promote or retire it first");
        }
      }
      default ->
          throw new KeyturnException.InvalidInput(
              "a new version starts as pending or current, not " + version.stage().wireName());
    }
    next.add(version);
    return new VersionSet(name, next);
  }

  /**
   * Moves version {@code number} to {@code target}. Making a version current demotes the old
   * current one as {@link #add} does. A current version cannot be moved away directly: another
   * version must take its place.
   */
  public VersionSet move(int number, Stage target, Duration grace, Instant now) {
    return move(number, target, grace, now, Set.of());
  }

  /**
   * As {@link #move(int, Stage, Duration, Instant)}, keeping the previous versions {@code held}.
   */
  public VersionSet move(int number, Stage target, Duration grace, Instant now, Set<Integer> held) {
    requireNonNull(target, "target");
    VersionSet live = expire(now, held);
    Version version =
        live.version(number)
            .orElseThrow(
                () -> new KeyturnException.NotFound(name + "#" + number + " does not exist"));
    if (version.stage() == target) {
      return live;
    }
    String move =
        name + "#" + number + ": " + version.stage().wireName() + " -> " + target.wireName();
    if (!version.stage().canMoveTo(target)) {
      throw new KeyturnException.Conflict(
          move
              + " is not allowed"
              + (version.stage() == Stage.RETIRED ? " (retired is final)" : ""));
    }
    if (version.stage() == Stage.CURRENT) {
      throw new KeyturnException.Conflict(
          move + " is not allowed directly: make another version current first");
    }
    List<Version> next = new ArrayList<>(live.versions);
    if (target == Stage.CURRENT) {
      demoteCurrent(next, grace, now);
    }
    next.replaceAll(v -> v.number() == number ? v.withStage(target, Optional.empty()) : v);
    return new VersionSet(name, next);
  }

  /** Retires every version (the secret is deleted; versions stay for audit and recovery). */
  public VersionSet retireAll() {
    return new VersionSet(
        name,
        versions.stream()
            .map(v -> v.stage() == Stage.RETIRED ? v : v.withStage(Stage.RETIRED, Optional.empty()))
            .toList());
  }

  /** One version's stage change between two sets; {@code from} is absent for a new version. */
  public record StageChange(int version, Optional<Stage> from, Stage to) {}

  /** What changed from {@code before} to this set: new versions and stage moves, in order. */
  public List<StageChange> changesFrom(VersionSet before) {
    List<StageChange> changes = new ArrayList<>();
    for (Version v : versions) {
      Optional<Version> old = before.version(v.number());
      if (old.isEmpty()) {
        changes.add(new StageChange(v.number(), Optional.empty(), v.stage()));
      } else if (old.get().stage() != v.stage()) {
        changes.add(new StageChange(v.number(), Optional.of(old.get().stage()), v.stage()));
      }
    }
    return changes;
  }

  private static void demoteCurrent(List<Version> versions, Duration grace, Instant now) {
    requireNonNull(grace, "grace");
    if (grace.isNegative()) {
      throw new KeyturnException.InvalidInput("grace must not be negative");
    }
    versions.replaceAll(v -> {
      if (v.stage() != Stage.CURRENT) {
        return v;
      }
      return grace.isZero()
          ? v.withStage(Stage.RETIRED, Optional.empty())
          : v.withStage(Stage.PREVIOUS, Optional.of(now.plus(grace)));
    });
  }

  private Optional<Version> inStage(Stage stage) {
    return versions.stream().filter(v -> v.stage() == stage).findFirst();
  }

  private static long count(List<Version> versions, Stage stage) {
    return versions.stream().filter(v -> v.stage() == stage).count();
  }
}
