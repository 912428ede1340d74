package dev.keyturn.api;

/** {@code GET /v1/audit/head}: the newest record as a checkpoint to keep elsewhere. */
public record AuditHeadResponse(long seq, String checkpoint) {}
