package dev.keyturn.api;

import java.util.List;

/** {@code GET /v1/tokens}. */
public record TokenListResponse(List<TokenInfo> tokens) {}
