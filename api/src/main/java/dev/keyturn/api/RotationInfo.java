package dev.keyturn.api;

import java.util.List;

/**
 * A rotation run: its state, step attempts, the version it made, and its checklist. {@code reason}
 * says why it waits, retries or ended as it did; {@code requestReason} is what its requester said
 * (why an emergency). {@code progress} is the row sweep's progress ({@code reencrypt} rules only;
 * null otherwise and before the first batch).
 */
public record RotationInfo(
    String id,
    String secret,
    String state,
    int attempt,
    String startedAt,
    String updatedAt,
    String nextAttemptAt,
    Integer pendingVersion,
    boolean emergency,
    String requestedBy,
    String reason,
    List<CheckInfo> checklist,
    String requestReason,
    RotationProgress progress) {

  /** A run without a sweep. */
  public RotationInfo(
      String id,
      String secret,
      String state,
      int attempt,
      String startedAt,
      String updatedAt,
      String nextAttemptAt,
      Integer pendingVersion,
      boolean emergency,
      String requestedBy,
      String reason,
      List<CheckInfo> checklist,
      String requestReason) {
    this(
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
        checklist,
        requestReason,
        null);
  }

  /** A run without a requester's reason. */
  public RotationInfo(
      String id,
      String secret,
      String state,
      int attempt,
      String startedAt,
      String updatedAt,
      String nextAttemptAt,
      Integer pendingVersion,
      boolean emergency,
      String requestedBy,
      String reason,
      List<CheckInfo> checklist) {
    this(
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
        checklist,
        null);
  }
}
