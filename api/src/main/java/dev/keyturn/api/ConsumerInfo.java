package dev.keyturn.api;

import java.util.List;

/**
 * One registered consumer, as {@code PUT /v1/consumers/{id}} and {@code GET /v1/consumers} show it:
 * the id of the token that owns it, when it registered, was last heard from and stops being live,
 * and what it holds ({@code GET /v1/consumers?secret=} shows only that secret's holding).
 */
public record ConsumerInfo(
    String id,
    String name,
    String kind,
    String tokenId,
    List<ConsumerHolding> secrets,
    int ttlSeconds,
    String registeredAt,
    String lastSeen,
    String expiresAt) {}
