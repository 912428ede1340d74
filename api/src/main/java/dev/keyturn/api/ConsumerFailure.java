package dev.keyturn.api;

/**
 * A live consumer that could not apply a version of a secret (an agent whose reload or health check
 * failed): its id, the version it failed to apply and the one it still uses.
 */
public record ConsumerFailure(String consumer, int failed, int using) {}
