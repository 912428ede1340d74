package dev.keyturn.api;

/** What {@code DELETE /v1/secrets/{name}} did. */
public record DeleteResponse(String name, int versionCount, boolean destroyed) {}
