package dev.keyturn.api;

/** One audit record: who, what, result. Never a value or a token. */
public record AuditRecordInfo(
    long seq,
    String time,
    String tokenId,
    String client,
    String action,
    String secret,
    Integer version,
    String result,
    String detail) {}
