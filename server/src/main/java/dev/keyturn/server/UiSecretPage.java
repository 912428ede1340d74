package dev.keyturn.server;

import dev.keyturn.api.AuditListResponse;
import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.HistoryResponse;
import dev.keyturn.api.MetadataResponse;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RotationListResponse;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.RuleResponse;
import dev.keyturn.api.StatusResponse;
import dev.keyturn.api.StatusRow;
import dev.keyturn.api.VersionInfo;
import dev.keyturn.core.SecretName;
import dev.keyturn.server.UiHandler.Answer;
import dev.keyturn.server.UiHandler.UiRequest;
import dev.keyturn.server.UiModel.AuditRow;
import dev.keyturn.server.UiModel.RotationRow;
import dev.keyturn.server.UiModel.VersionRow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The secret page ({@code /ui/secrets/NAME}): its metadata ({@code GET /v1/metadata}), versions
 * ({@code GET /v1/versions}), status row, rule in words ({@code GET /v1/rules}, admin), recent
 * rotations ({@code GET /v1/rotations?secret=}, rotate) and audit records ({@code GET
 * /v1/audit?secret=}, admin), each asked for only when the token may, and the actions it may take.
 * Never a value: that takes the reveal POST.
 */
final class UiSecretPage {
  private UiSecretPage() {}

  static Answer show(UiRequest ui, String raw, UiPages pages) {
    return show(ui, raw, pages, "", 200);
  }

  /**
   * The page with {@code error} (an action's refusal) shown above it, answered with {@code status}.
   */
  static Answer show(UiRequest ui, String raw, UiPages pages, String error, int answerStatus) {
    Optional<SecretName> parsed = SecretName.parse(raw);
    if (parsed.isEmpty()) {
      return pages.noSuchSecret(ui);
    }
    String name = parsed.get().value();
    ApiHandler.Answer meta = ui.call("GET", "/v1/metadata/" + name, "", null);
    if (meta.status() != 200) {
      return pages.refused(ui, meta);
    }
    MetadataResponse m = (MetadataResponse) meta.body();
    Instant now = pages.now();
    ApiHandler.Answer history = ui.call("GET", "/v1/versions/" + name, "", null);
    List<VersionInfo> versions =
        history.status() == 200 ? ((HistoryResponse) history.body()).versions() : List.of();
    ApiHandler.Answer status = ui.call("GET", "/v1/status", "prefix=" + UiPages.enc(name), null);
    Optional<StatusRow> row =
        status.status() == 200
            ? ((StatusResponse) status.body())
                .secrets().stream().filter(r -> r.name().equals(name)).findFirst()
            : Optional.empty();
    String words = "no rotation rule";
    String purpose = "";
    String impact = "";
    if (ui.permits("GET", "/v1/rules/" + name)) {
      ApiHandler.Answer rule = ui.call("GET", "/v1/rules/" + name, "", null);
      if (rule.status() == 200) {
        RuleBody body = ((RuleResponse) rule.body()).rule();
        words = UiText.rule(body);
        purpose = body.purpose() == null ? "" : body.purpose();
        impact = body.impact() == null ? "" : body.impact();
      }
    } else if (row.isPresent() && row.get().strategy() != null) {
      words = "a " + row.get().strategy() + " rule (its details need admin on this secret)";
    }
    boolean rotationsShown = ui.permitsRowsOf("GET", "/v1/rotations", name);
    List<RotationRow> rotations = List.of();
    if (rotationsShown) {
      ApiHandler.Answer list =
          ui.call("GET", "/v1/rotations", "secret=" + UiPages.enc(name) + "&limit=10", null);
      if (list.status() == 200) {
        rotations = rotationRows(((RotationListResponse) list.body()).rotations(), now);
      }
    }
    boolean auditShown = ui.permitsRowsOf("GET", "/v1/audit", name);
    List<AuditRow> audit = List.of();
    if (auditShown) {
      ApiHandler.Answer list =
          ui.call("GET", "/v1/audit", "secret=" + UiPages.enc(name) + "&limit=20", null);
      if (list.status() == 200) {
        List<AuditRecordInfo> records = ((AuditListResponse) list.body()).records();
        audit = auditRows(records, now);
      }
    }
    boolean stage = ui.permits("POST", "/v1/stages/" + name);
    boolean rollBack = ui.permitsElevated("POST", "/v1/stages/" + name);
    List<VersionRow> rows = new ArrayList<>();
    List<VersionRow> keyring = new ArrayList<>();
    for (VersionInfo v : versions) {
      boolean previous = v.stage().equals("previous");
      VersionRow r =
          new VersionRow(
              v.version(),
              v.stage(),
              v.type() == null ? "" : v.type(),
              UiRender.time(v.createdAt(), now),
              v.createdBy() == null ? "" : v.createdBy(),
              UiRender.time(v.acceptUntil(), now),
              previous && rollBack,
              previous && stage);
      rows.add(r);
      if (!v.stage().equals("retired")
          && (!previous
              || v.acceptUntil() == null
              || Instant.parse(v.acceptUntil()).isAfter(now))) {
        keyring.add(r);
      }
    }
    String since = now.minus(java.time.Duration.ofDays(1)).toString();
    String readers = "/ui/audit?secret=" + UiPages.enc(name) + "&action=secret.read&since=" + since;
    return Answer.page(
        answerStatus,
        UiRender.render(
            "secret.jte",
            new UiModel.SecretPage(
                pages.view(ui, name, "secrets"),
                name,
                m.type() == null ? "" : m.type(),
                row.map(StatusRow::state).orElse(""),
                row.map(StatusRow::owner).orElse(""),
                UiRender.time(m.createdAt(), now),
                UiRender.time(m.updatedAt(), now),
                UiRender.time(row.map(StatusRow::nextDue).orElse(null), now),
                UiRender.time(row.map(StatusRow::lastRotated).orElse(null), now),
                words,
                purpose,
                impact,
                rows,
                keyring,
                rotationsShown,
                rotations,
                auditShown,
                audit,
                readers,
                new UiModel.Actions(
                    ui.permits("GET", "/v1/secrets/" + name),
                    ui.permits("POST", "/v1/rotate/" + name),
                    stage,
                    rollBack),
                error)));
  }

  static List<RotationRow> rotationRows(List<RotationInfo> list, Instant now) {
    List<RotationRow> out = new ArrayList<>();
    for (RotationInfo r : list) {
      out.add(
          new RotationRow(
              r.id(),
              r.secret(),
              r.state(),
              r.emergency(),
              UiRender.time(r.startedAt(), now),
              UiRender.time(r.updatedAt(), now),
              r.requestedBy() == null ? "" : r.requestedBy(),
              r.requestReason() != null
                  ? r.requestReason()
                  : r.reason() == null ? "" : r.reason()));
    }
    return out;
  }

  static List<AuditRow> auditRows(List<AuditRecordInfo> list, Instant now) {
    List<AuditRow> out = new ArrayList<>();
    for (int i = list.size() - 1; i >= 0; i--) {
      AuditRecordInfo a = list.get(i);
      out.add(
          new AuditRow(
              a.seq(),
              UiRender.time(a.time(), now),
              a.tokenId(),
              a.client(),
              a.action(),
              a.secret() == null ? "" : a.secret(),
              a.version() == null ? "" : "v" + a.version(),
              a.result(),
              a.detail() == null ? "" : a.detail()));
    }
    return out;
  }
}
