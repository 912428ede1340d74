package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One run of a rotation, as persisted after every step so that any node can resume it. Metadata
 * only: the new value lives in the secret's pending version, never here.
 *
 * @param attempt how many times the current step has failed so far
 * @param nextAttemptAt when the current step may run (now, after a back-off, or after the
 *     propagation delay)
 * @param pendingVersion the version this rotation created, once {@code create} is done
 * @param process a child process group the current step started, to kill after a crash
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
    List<CheckResult> checklist) {

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
  }

  /** One step, hook or check as it ran: its name, result and duration. Never a value. */
  public record CheckResult(String name, boolean ok, long millis, String message) {}

  /** The marker a rotation leaves in the versions it creates, to find them again after a crash. */
  public String creatorTag() {
    return "rotation:" + id;
  }

  Rotation moveTo(RotationState next, Instant now) {
    return new Rotation(
        id,
        secret,
        next,
        0,
        startedAt,
        now,
        now,
        pendingVersion,
        emergency,
        requestedBy,
        reason,
        Optional.empty(),
        checklist);
  }

  Rotation retryAt(Instant when, Instant now, String why) {
    return new Rotation(
        id,
        secret,
        state,
        attempt + 1,
        startedAt,
        now,
        when,
        pendingVersion,
        emergency,
        requestedBy,
        Optional.of(why),
        Optional.empty(),
        checklist);
  }

  Rotation waitUntil(Instant when, Instant now) {
    return new Rotation(
        id,
        secret,
        state,
        attempt,
        startedAt,
        now,
        when,
        pendingVersion,
        emergency,
        requestedBy,
        reason,
        process,
        checklist);
  }

  Rotation withPending(int version, Instant now) {
    return new Rotation(
        id,
        secret,
        state,
        attempt,
        startedAt,
        now,
        nextAttemptAt,
        Optional.of(version),
        emergency,
        requestedBy,
        reason,
        process,
        checklist);
  }

  Rotation withReason(String why) {
    return new Rotation(
        id,
        secret,
        state,
        attempt,
        startedAt,
        updatedAt,
        nextAttemptAt,
        pendingVersion,
        emergency,
        requestedBy,
        Optional.of(why),
        process,
        checklist);
  }

  Rotation withProcess(Optional<Long> pid, Instant now) {
    return new Rotation(
        id,
        secret,
        state,
        attempt,
        startedAt,
        now,
        nextAttemptAt,
        pendingVersion,
        emergency,
        requestedBy,
        reason,
        pid,
        checklist);
  }

  Rotation checked(CheckResult result) {
    List<CheckResult> list = new ArrayList<>(checklist);
    list.add(result);
    return new Rotation(
        id,
        secret,
        state,
        attempt,
        startedAt,
        updatedAt,
        nextAttemptAt,
        pendingVersion,
        emergency,
        requestedBy,
        reason,
        process,
        list);
  }
}
