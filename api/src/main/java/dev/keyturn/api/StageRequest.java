package dev.keyturn.api;

/**
 * Body of {@code POST /v1/stages/{name}}: move {@code version} to {@code stage}. When the move
 * makes a version current, {@code grace} (a duration, default none) is how long the replaced one
 * stays valid as previous.
 */
public record StageRequest(Integer version, String stage, String grace) {}
