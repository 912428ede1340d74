package dev.keyturn.api;

import java.util.List;

/**
 * Body of {@code POST /v1/tokens} and {@code POST /v1/tokens/orphan}: grants ({@code
 * capability:glob}), an optional name and an optional lifetime ({@code ttl}: a duration, or a
 * calendar period such as {@code 3mo} or {@code 1y}; default 30 days).
 */
public record TokenCreateRequest(String name, List<String> grants, String ttl) {}
