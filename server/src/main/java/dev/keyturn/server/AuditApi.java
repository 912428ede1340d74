package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.AuditHeadResponse;
import dev.keyturn.api.AuditListResponse;
import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.AuditVerifyResponse;
import dev.keyturn.core.Durations;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.core.spi.AuditRecord;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The audit routes. Verify and head need {@code admin:*} ({@link Routes}); the list needs an {@code
 * admin} grant, and a caller whose admin grants do not cover every name sees only the records of
 * secrets they cover (never a token's or the server's own records), so a scoped admin can ask who
 * read its secrets and nothing else.
 */
final class AuditApi {
  private static final int DEFAULT_LIMIT = 1000;
  private static final int MAX_LIMIT = 100_000;

  private final AuditLog log;
  private final AuditVerifier verifier;
  private final Clock clock;

  AuditApi(AuditLog log, AuditVerifier verifier, Clock clock) {
    this.log = requireNonNull(log, "log");
    this.verifier = requireNonNull(verifier, "verifier");
    this.clock = requireNonNull(clock, "clock");
  }

  AuditListResponse list(Exchange ex) {
    int limit =
        ex.query("limit")
            .map(t -> {
              if (!t.matches("[0-9]{1,6}")
                  || Integer.parseInt(t) < 1
                  || Integer.parseInt(t) > MAX_LIMIT) {
                throw HttpError.badRequest("limit must be between 1 and " + MAX_LIMIT);
              }
              return Integer.parseInt(t);
            })
            .orElse(DEFAULT_LIMIT);
    Optional<String> token = ex.query("token");
    if (token.isPresent() && !token.get().matches("root|tok_[0-9a-f]{16}")) {
      throw HttpError.badRequest("token is a token id (root, or tok_ and 16 hex digits)");
    }
    boolean everything = ex.everyRow;
    if (!everything && ex.rowPatterns.isEmpty()) {
      return new AuditListResponse(List.of());
    }
    AuditQuery query =
        new AuditQuery(
            ex.query("since").map(s -> Durations.since(s, clock.instant())),
            ex.query("secret"),
            ex.query("action"),
            Optional.empty(),
            limit,
            ex.query("result").map(AuditApi::outcome),
            token,
            everything ? List.of() : ex.rowPatterns);
    // The store narrows by the caller's patterns; each record is checked again all the same.
    return new AuditListResponse(
        log.query(query).stream()
            .filter(r -> everything || r.event().secret().map(ex.visible::test).orElse(false))
            .map(AuditApi::info)
            .toList());
  }

  AuditVerifyResponse verify(Exchange ex) {
    Optional<AuditVerifier.Checkpoint> checkpoint =
        ex.query("checkpoint").map(AuditVerifier.Checkpoint::parse);
    AuditVerifier.Result result = verifier.verify(log, checkpoint);
    ex.detail = result.ok() ? "intact" : "broken at " + result.problem().get().seq();
    return new AuditVerifyResponse(
        result.ok(),
        result.records(),
        result.head().map(AuditVerifier.Checkpoint::toString).orElse(null),
        result.problem().map(AuditVerifier.Problem::seq).orElse(null),
        result.problem().map(AuditVerifier.Problem::reason).orElse(null));
  }

  AuditHeadResponse head(Exchange ex) {
    AuditRecord head =
        log.head()
            .orElseThrow(
                () -> new dev.keyturn.core.KeyturnException.NotFound("the audit log is empty"));
    return new AuditHeadResponse(head.seq(), head.seq() + ":" + head.macHex());
  }

  private static AuditQuery.Outcome outcome(String text) {
    try {
      return AuditQuery.Outcome.fromWire(text);
    } catch (dev.keyturn.core.KeyturnException.InvalidInput e) {
      throw HttpError.badRequest("result is ok, denied or failed");
    }
  }

  static AuditRecordInfo info(AuditRecord r) {
    return new AuditRecordInfo(
        r.seq(),
        r.event().time().toString(),
        r.event().tokenId(),
        r.event().client(),
        r.event().action(),
        r.event().secret().orElse(null),
        r.event().version().orElse(null),
        r.event().result(),
        r.event().detail());
  }
}
