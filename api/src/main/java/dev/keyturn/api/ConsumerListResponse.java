package dev.keyturn.api;

import java.util.List;

/** {@code GET /v1/consumers?secret=}: the live consumers that name the secret, in id order. */
public record ConsumerListResponse(String secret, List<ConsumerInfo> consumers) {}
