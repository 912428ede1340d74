package dev.keyturn.api;

import java.util.List;

/** A token's metadata: never the token. */
public record TokenInfo(
    String id,
    String name,
    List<String> grants,
    String createdAt,
    String expiresAt,
    String revokedAt,
    boolean valid) {}
