package dev.keyturn.api;

import java.util.List;

/**
 * {@code PUT /v1/consumers/{id}}: registers a consumer or sends its heartbeat. {@code kind} is
 * {@code run}, {@code agent} or {@code sdk}; {@code ttl_seconds} (10 to 3600) is how long it counts
 * as live after this call. Names and version numbers only, never a value.
 */
public record ConsumerRequest(
    String name, String kind, List<ConsumerHolding> secrets, Integer ttlSeconds) {}
