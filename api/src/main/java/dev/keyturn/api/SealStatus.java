package dev.keyturn.api;

/**
 * The answer of {@code POST /v1/unseal} and {@code POST /v1/seal}: whether the server is sealed,
 * how many distinct shares it holds, and how many rebuild the root key.
 */
public record SealStatus(boolean sealed, int sharesHeld, int threshold) {}
