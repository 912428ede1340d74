package dev.keyturn.api;

/** One row of a secret listing. */
public record SecretSummary(
    String name, Integer currentVersion, int versionCount, String updatedAt) {}
