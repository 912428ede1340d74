package dev.keyturn.api;

/**
 * {@code DELETE /v1/consumers/{id}}: whether a registration was removed (false: there was none).
 */
public record ConsumerDeparted(String id, boolean removed) {}
