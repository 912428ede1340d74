package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One run of a rotation, as persisted after every step so that any node can resume it. Metadata
 * only: the new value lives in the secret's pending version, never here. Built with {@link
 * #builder()}; changed by the engine through {@link #toBuilder()}.
 *
 * @param attempt how many times the current step has failed so far
 * @param nextAttemptAt when the current step may run (now, after a back-off, or after the
 *     propagation delay)
 * @param pendingVersion the version this rotation created, once {@code create} is done
 * @param reason why the rotation waits, retries or ended as it did
 * @param process a child process group the current step started, to kill after a crash
 * @param note what the requester said (an emergency's reason): at most {@link #NOTE_MAX}
 *     characters, no control characters
 * @param commands the digest of the operator's declarations of the commands the rule names, on the
 *     node that started the rotation ({@link HostPolicy#digest}); only nodes with the same digest
 *     run its steps. Empty when the rule names no command.
 * @param progress how far the target's row sweep has come (the {@code reencrypt} strategy), as last
 *     saved with {@link dev.keyturn.core.spi.RotationStore#saveProgress}; empty for other
 *     strategies and before the first batch
 */
public record Rotation(
    String id,
    SecretName secret,
    RotationState state,
    int attempt,
    Instant startedAt,
    Instant updatedAt,
    Instant nextAttemptAt,
    Optional<Integer> pendingVersion,
    boolean emergency,
    String requestedBy,
    Optional<String> reason,
    Optional<Long> process,
    List<CheckResult> checklist,
    Optional<String> note,
    String commands,
    Optional<SweepProgress> progress) {

  /** The longest note (emergency reason) a rotation keeps. */
  public static final int NOTE_MAX = 500;

  public Rotation {
    requireNonNull(id, "id");
    requireNonNull(secret, "secret");
    requireNonNull(state, "state");
    requireNonNull(startedAt, "startedAt");
    requireNonNull(updatedAt, "updatedAt");
    requireNonNull(nextAttemptAt, "nextAttemptAt");
    requireNonNull(pendingVersion, "pendingVersion");
    requireNonNull(requestedBy, "requestedBy");
    requireNonNull(reason, "reason");
    requireNonNull(process, "process");
    checklist = List.copyOf(checklist);
    requireNonNull(note, "note");
    if (note.isPresent()) {
      checkNote(note.get());
    }
    requireNonNull(commands, "commands");
    requireNonNull(progress, "progress");
  }

  /**
   * Checks a requester's note (an emergency's reason).
   *
   * @throws KeyturnException.InvalidInput if it is blank, longer than {@link #NOTE_MAX} characters
   *     or holds a control, line-separator or bidirectional-override character (the message never
   *     quotes it)
   */
  public static String checkNote(String note) {
    if (note.isBlank()) {
      throw new KeyturnException.InvalidInput("the reason is empty");
    }
    if (note.length() > NOTE_MAX) {
      throw new KeyturnException.InvalidInput(
          "the reason is longer than " + NOTE_MAX + " characters");
    }
    for (int i = 0; i < note.length(); i++) {
      char c = note.charAt(i);
      if (Character.isISOControl(c)
          || c == '\u2028'
          || c == '\u2029'
          || (c >= '\u202a' && c <= '\u202e')
          || (c >= '\u2066' && c <= '\u2069')) {
        throw new KeyturnException.InvalidInput(
            "the reason holds a control character (position " + (i + 1) + ")");
      }
    }
    return note;
  }

  /** One step, hook or check as it ran: its name, result and duration. Never a value. */
  public record CheckResult(String name, boolean ok, long millis, String message) {}

  /** The marker a rotation leaves in the versions it creates, to find them again after a crash. */
  public String creatorTag() {
    return "rotation:" + id;
  }

  /** The id of the rotation whose {@link #creatorTag} is {@code createdBy}, if it is one. */
  public static Optional<String> idFromCreatorTag(String createdBy) {
    return createdBy.startsWith("rotation:")
        ? Optional.of(createdBy.substring("rotation:".length()))
        : Optional.empty();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.id = id;
    b.secret = secret;
    b.state = state;
    b.attempt = attempt;
    b.startedAt = startedAt;
    b.updatedAt = updatedAt;
    b.nextAttemptAt = nextAttemptAt;
    b.pendingVersion = pendingVersion;
    b.emergency = emergency;
    b.requestedBy = requestedBy;
    b.reason = reason;
    b.process = process;
    b.checklist = new ArrayList<>(checklist);
    b.note = note;
    b.commands = commands;
    b.progress = progress;
    return b;
  }

  /**
   * Builds a {@link Rotation}; {@code id}, {@code secret}, {@code state}, {@code startedAt} and
   * {@code requestedBy} are required, {@code updatedAt} and {@code nextAttemptAt} default to {@code
   * startedAt}. Not thread-safe.
   */
  public static final class Builder {
    private String id;
    private SecretName secret;
    private RotationState state;
    private int attempt;
    private Instant startedAt;
    private Instant updatedAt;
    private Instant nextAttemptAt;
    private Optional<Integer> pendingVersion = Optional.empty();
    private boolean emergency;
    private String requestedBy;
    private Optional<String> reason = Optional.empty();
    private Optional<Long> process = Optional.empty();
    private List<CheckResult> checklist = new ArrayList<>();
    private Optional<String> note = Optional.empty();
    private String commands = "";
    private Optional<SweepProgress> progress = Optional.empty();

    private Builder() {}

    public Builder id(String v) {
      id = v;
      return this;
    }

    public Builder secret(SecretName v) {
      secret = v;
      return this;
    }

    public Builder state(RotationState v) {
      state = v;
      return this;
    }

    public Builder attempt(int v) {
      attempt = v;
      return this;
    }

    public Builder startedAt(Instant v) {
      startedAt = v;
      return this;
    }

    public Builder updatedAt(Instant v) {
      updatedAt = v;
      return this;
    }

    public Builder nextAttemptAt(Instant v) {
      nextAttemptAt = v;
      return this;
    }

    public Builder pendingVersion(Optional<Integer> v) {
      pendingVersion = v;
      return this;
    }

    public Builder emergency(boolean v) {
      emergency = v;
      return this;
    }

    public Builder requestedBy(String v) {
      requestedBy = v;
      return this;
    }

    public Builder reason(Optional<String> v) {
      reason = v;
      return this;
    }

    public Builder process(Optional<Long> v) {
      process = v;
      return this;
    }

    public Builder checklist(List<CheckResult> v) {
      checklist = new ArrayList<>(v);
      return this;
    }

    public Builder note(Optional<String> v) {
      note = v;
      return this;
    }

    public Builder commands(String v) {
      commands = v;
      return this;
    }

    public Builder progress(Optional<SweepProgress> v) {
      progress = v;
      return this;
    }

    public Rotation build() {
      List<String> missing = new ArrayList<>();
      if (id == null) missing.add("id");
      if (secret == null) missing.add("secret");
      if (state == null) missing.add("state");
      if (startedAt == null) missing.add("startedAt");
      if (requestedBy == null) missing.add("requestedBy");
      if (!missing.isEmpty()) {
        throw new IllegalStateException("a rotation needs " + String.join(", ", missing));
      }
      return new Rotation(
          id,
          secret,
          state,
          attempt,
          startedAt,
          updatedAt == null ? startedAt : updatedAt,
          nextAttemptAt == null ? startedAt : nextAttemptAt,
          pendingVersion,
          emergency,
          requestedBy,
          reason,
          process,
          checklist,
          note,
          commands,
          progress);
    }
  }

  /**
   * @throws IllegalStateException if {@link RotationState#canMoveTo} does not allow the move (a bug
   *     in the engine, never a caller's input)
   */
  Rotation moveTo(RotationState next, Instant now) {
    if (!state.canMoveTo(next)) {
      throw new IllegalStateException(
          "rotation "
              + id
              + ": "
              + state.wireName()
              + " -> "
              + next.wireName()
              + " is not allowed");
    }
    return toBuilder()
        .state(next)
        .attempt(0)
        .updatedAt(now)
        .nextAttemptAt(now)
        .process(Optional.empty())
        .build();
  }

  Rotation retryAt(Instant when, Instant now, String why) {
    return toBuilder()
        .attempt(attempt + 1)
        .updatedAt(now)
        .nextAttemptAt(when)
        .reason(Optional.of(why))
        .process(Optional.empty())
        .build();
  }

  Rotation waitUntil(Instant when, Instant now) {
    return toBuilder().updatedAt(now).nextAttemptAt(when).build();
  }

  Rotation withPending(int version, Instant now) {
    return toBuilder().updatedAt(now).pendingVersion(Optional.of(version)).build();
  }

  Rotation withReason(String why) {
    return toBuilder().reason(Optional.of(why)).build();
  }

  Rotation withProcess(Optional<Long> pid, Instant now) {
    return toBuilder().updatedAt(now).process(pid).build();
  }

  /** This rotation with {@code progress} as its sweep's progress. */
  public Rotation withProgress(Optional<SweepProgress> progress) {
    return toBuilder().progress(progress).build();
  }

  Rotation checked(CheckResult result) {
    List<CheckResult> list = new ArrayList<>(checklist);
    list.add(result);
    return toBuilder().checklist(list).build();
  }
}
