package dev.keyturn.api;

/** {@code GET /v1/health}: needs no token and reveals nothing secret. */
public record HealthResponse(String status, String version) {}
