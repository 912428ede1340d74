package dev.keyturn.api;

/**
 * {@code GET /v1/audit/verify}: whether the chain is intact; if not, the first bad record and why.
 * {@code head} is the checkpoint ({@code SEQ:MAC}) of the newest record.
 */
public record AuditVerifyResponse(
    boolean ok, long records, String head, Long problemSeq, String problem) {}
