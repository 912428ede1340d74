package dev.keyturn.api;

import java.util.List;

/** {@code GET /v1/whoami}: the calling token's id, name, grants and expiry (never the token). */
public record WhoAmIResponse(String tokenId, String name, List<String> grants, String expiresAt) {}
