package dev.keyturn.api;

/**
 * The data of a {@code version} event of {@code GET /v1/watch}: version {@code version} of secret
 * {@code name} was created in, or moved to, {@code stage} at {@code at} (RFC 3339). Never a value.
 */
public record VersionEvent(String name, int version, String stage, String at) {}
