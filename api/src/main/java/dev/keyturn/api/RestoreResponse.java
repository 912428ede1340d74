package dev.keyturn.api;

import java.util.List;

/**
 * What {@code POST /v1/restores} planned and did: the backup's creation time, whether it was a dry
 * run (nothing written), each secret's step, and the counts by action.
 */
public record RestoreResponse(
    String backupCreatedAt,
    boolean dryRun,
    int created,
    int unchanged,
    int changed,
    int asCurrent,
    List<RestoreStep> steps) {}
