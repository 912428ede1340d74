package dev.keyturn.api;

import java.util.List;

/** {@code GET /v1/audit}: matching records in chain order, newest last. */
public record AuditListResponse(List<AuditRecordInfo> records) {}
