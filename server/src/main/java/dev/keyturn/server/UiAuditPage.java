package dev.keyturn.server;

import dev.keyturn.api.AuditHeadResponse;
import dev.keyturn.api.AuditListResponse;
import dev.keyturn.api.AuditVerifyResponse;
import dev.keyturn.server.UiHandler.Answer;
import dev.keyturn.server.UiHandler.UiRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit page ({@code /ui/audit}): records filtered by secret, action, result, token and time
 * ({@code GET /v1/audit}: everything for {@code admin:*}, a scoped admin the records of the secrets
 * it covers), newest first; for {@code admin:*} the chain's last checkpoint ({@code GET
 * /v1/audit/head}) and, on request, its verification ({@code GET /v1/audit/verify}).
 */
final class UiAuditPage {
  static final int LIMIT = 200;
  static final List<String> RESULTS = List.of("ok", "denied", "failed");

  private UiAuditPage() {}

  static Answer show(UiRequest ui, UiPages pages) {
    List<String> query = new ArrayList<>();
    String secret = ui.param("secret");
    String action = ui.param("action");
    String result = RESULTS.contains(ui.param("result")) ? ui.param("result") : "";
    String token = ui.param("token");
    String since = ui.param("since");
    add(query, "secret", secret);
    add(query, "action", action);
    add(query, "result", result);
    add(query, "token", token);
    add(query, "since", since);
    query.add("limit=" + LIMIT);
    ApiHandler.Answer answer = ui.call("GET", "/v1/audit", String.join("&", query), null);
    if (answer.status() != 200) {
      return pages.refused(ui, answer);
    }
    List<UiModel.AuditRow> rows =
        UiSecretPage.auditRows(((AuditListResponse) answer.body()).records(), pages.now());
    String checkpoint = "";
    String chain = "";
    boolean chainShown = ui.permits("GET", "/v1/audit/head");
    if (chainShown) {
      ApiHandler.Answer head = ui.call("GET", "/v1/audit/head", "", null);
      if (head.status() == 200) {
        checkpoint = ((AuditHeadResponse) head.body()).checkpoint();
      }
      if (ui.param("verify").equals("1")) {
        ApiHandler.Answer verify = ui.call("GET", "/v1/audit/verify", "", null);
        if (verify.status() == 200) {
          AuditVerifyResponse v = (AuditVerifyResponse) verify.body();
          chain =
              v.ok()
                  ? "intact: " + v.records() + " records checked"
                  : "broken at record " + v.problemSeq() + ": " + v.problem();
        } else {
          chain = "not verified (" + verify.status() + ")";
        }
      }
    }
    return Answer.page(
        200,
        UiRender.render(
            "audit.jte",
            new UiModel.Audit(
                pages.view(ui, "Audit", "audit"),
                secret,
                action,
                result,
                token,
                since,
                RESULTS,
                rows,
                rows.size() == LIMIT,
                chainShown,
                checkpoint,
                chain)));
  }

  private static void add(List<String> query, String key, String value) {
    if (!value.isEmpty()) {
      query.add(key + "=" + UiPages.enc(value));
    }
  }
}
