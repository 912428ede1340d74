package dev.keyturn.api;

/**
 * {@code POST /v1/tokens/self/renew}: the calling token's new expiry (never the token).
 *
 * @param lifetimeSeconds the original lifetime a renewal adds
 * @param capped true when the token could not be extended by its whole lifetime: its creator's
 *     expiry comes first; renewing again before that expiry moves it no further
 */
public record TokenRenewed(
    String tokenId, String expiresAt, long lifetimeSeconds, boolean capped) {}
