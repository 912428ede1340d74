package dev.keyturn.api;

/** What a write returns: the version it made or moved, and its stage now. */
public record WriteResponse(
    String name, int version, String stage, String createdAt, String acceptUntil) {}
