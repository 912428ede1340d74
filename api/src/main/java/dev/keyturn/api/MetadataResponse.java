package dev.keyturn.api;

/**
 * What {@code describe} shows: a secret's metadata, never a value. Version numbers are null when no
 * version is in that stage.
 */
public record MetadataResponse(
    String name,
    String type,
    Integer currentVersion,
    Integer pendingVersion,
    Integer previousVersion,
    int versionCount,
    String createdAt,
    String updatedAt,
    boolean deleted,
    boolean destroyed) {}
