package dev.keyturn.api;

import java.util.List;

/**
 * Body of {@code POST /v1/tokens}: grants ({@code capability:glob}), an optional name and an
 * optional lifetime ({@code ttl}, a duration; default 30 days).
 */
public record TokenCreateRequest(String name, List<String> grants, String ttl) {}
