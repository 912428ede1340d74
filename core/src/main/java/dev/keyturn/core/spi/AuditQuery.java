package dev.keyturn.core.spi;

import java.time.Instant;
import java.util.Optional;

/** Which audit records to return: all filters optional, newest last, at most {@code limit}. */
public record AuditQuery(
    Optional<Instant> since,
    Optional<String> secret,
    Optional<String> action,
    Optional<Long> afterSeq,
    int limit) {}
