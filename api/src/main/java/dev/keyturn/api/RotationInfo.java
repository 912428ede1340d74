package dev.keyturn.api;

import java.util.List;

/** A rotation run: its state, step attempts, the version it made, and its checklist. */
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
    List<CheckInfo> checklist) {}
