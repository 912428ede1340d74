package dev.keyturn.api;

/**
 * Metadata of one version; holds no value. {@code fingerprint} is a keyed hash: equal values of one
 * secret have equal fingerprints.
 */
public record VersionInfo(
    int version,
    String stage,
    String type,
    String createdAt,
    String createdBy,
    String acceptUntil,
    String fingerprint) {}
