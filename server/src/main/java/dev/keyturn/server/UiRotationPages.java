package dev.keyturn.server;

import dev.keyturn.api.CheckInfo;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RotationListResponse;
import dev.keyturn.server.UiHandler.Answer;
import dev.keyturn.server.UiHandler.UiRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The rotation pages: {@code /ui/rotations} (running and recent rotations under a prefix, {@code
 * GET /v1/rotations?prefix=&state=}, rows the token may rotate) and {@code /ui/rotations/ID} (one
 * rotation's steps and checklist, {@code GET /v1/rotations/ID}), whose live part htmx asks for
 * again every 2 seconds ({@code /ui/rotations/ID/live}) until the rotation ends; without JavaScript
 * the page reloads itself every 5 seconds meanwhile. A rotation that has not reached finish has a
 * cancel button for a token that may rotate its secret ({@code POST /v1/rotations/ID/cancel}).
 */
final class UiRotationPages {
  static final List<String> STATES =
      List.of("active", "create", "set", "test", "finish", "rollback", "finished", "failed");
  private static final List<String> STEPS = List.of("create", "set", "test", "finish");

  private UiRotationPages() {}

  static Answer list(UiRequest ui, UiPages pages) {
    String prefix = ui.param("prefix");
    String state = STATES.contains(ui.param("state")) ? ui.param("state") : "";
    String query =
        "prefix=" + UiPages.enc(prefix) + (state.isEmpty() ? "" : "&state=" + state) + "&limit=100";
    ApiHandler.Answer answer = ui.call("GET", "/v1/rotations", query, null);
    if (answer.status() != 200) {
      return pages.refused(ui, answer);
    }
    List<UiModel.RotationRow> rows =
        UiSecretPage.rotationRows(((RotationListResponse) answer.body()).rotations(), pages.now());
    return Answer.page(
        200,
        UiRender.render(
            "rotations.jte",
            new UiModel.Rotations(
                pages.view(ui, "Rotations", "rotations"), prefix, state, STATES, rows)));
  }

  static Answer show(UiRequest ui, String rest, UiPages pages) {
    boolean live = rest.endsWith("/live");
    String id = live ? rest.substring(0, rest.length() - "/live".length()) : rest;
    if (!id.matches("[A-Za-z0-9_-]{1,64}")) {
      return Answer.page(
          404, UiPages.error(pages.view(ui, "Not found", ""), 404, "no such rotation"));
    }
    ApiHandler.Answer answer = ui.call("GET", "/v1/rotations/" + id, "", null);
    if (answer.status() != 200) {
      return pages.refused(ui, answer);
    }
    UiModel.RotationPage page = page(ui, (RotationInfo) answer.body(), pages);
    if (live) {
      return Answer.page(200, UiRender.render("rotation-live.jte", page));
    }
    return Answer.page(200, UiRender.render("rotation.jte", page));
  }

  private static UiModel.RotationPage page(UiRequest ui, RotationInfo r, UiPages pages) {
    Instant now = pages.now();
    boolean running = !(r.state().equals("finished") || r.state().equals("failed"));
    List<UiModel.Step> steps = new ArrayList<>();
    int at = STEPS.indexOf(r.state());
    for (int i = 0; i < STEPS.size(); i++) {
      String step = STEPS.get(i);
      String result;
      if (r.state().equals("finished") || (at >= 0 && i < at)) {
        result = "done";
      } else if (i == at) {
        result = "running";
      } else if (r.state().equals("failed") || r.state().equals("rollback")) {
        result = "not reached";
      } else {
        result = "waiting";
      }
      steps.add(new UiModel.Step(step, result));
    }
    List<UiModel.Check> checks = new ArrayList<>();
    for (CheckInfo c : r.checklist() == null ? List.<CheckInfo>of() : r.checklist()) {
      checks.add(
          new UiModel.Check(
              c.name(), c.ok(), c.millis() + " ms", c.message() == null ? "" : c.message()));
    }
    String next = "";
    if (r.state().equals("failed") || r.state().equals("rollback")) {
      next =
          "The rotation did not finish"
              + (r.reason() == null ? "" : ": " + r.reason())
              + ". The old value stays current. Fix what the failed step or check names (a"
              + " target, hook or check in the rule), then start a new rotation from the"
              + " secret's page (Rotate now); the audit page shows what happened.";
    } else if (r.nextAttemptAt() != null && running) {
      next = "A step failed; it is tried again at the time shown (attempt " + r.attempt() + ").";
    }
    return new UiModel.RotationPage(
        pages.view(ui, "Rotation " + r.id(), "rotations", running),
        r.id(),
        r.secret(),
        r.state(),
        running,
        r.emergency(),
        r.attempt(),
        UiRender.time(r.startedAt(), now),
        UiRender.time(r.updatedAt(), now),
        UiRender.time(r.nextAttemptAt(), now),
        r.pendingVersion() == null ? "" : "v" + r.pendingVersion(),
        r.requestedBy() == null ? "" : r.requestedBy(),
        r.requestReason() == null ? "" : r.requestReason(),
        r.reason() == null ? "" : r.reason(),
        steps,
        checks,
        next,
        CANCELLABLE.contains(r.state())
            && ui.permitsRowsOf("POST", "/v1/rotations/" + r.id() + "/cancel", r.secret()));
  }

  /** The states in which {@code POST /v1/rotations/ID/cancel} still rolls a rotation back. */
  private static final List<String> CANCELLABLE = List.of("create", "set", "test");

  /** {@code POST /ui/rotations/ID/cancel}: abandons the rotation, which then rolls back. */
  static Answer cancel(UiRequest ui, String id, UiPages pages) {
    if (!id.matches("rot_[0-9a-f]{16}")) {
      return Answer.page(
          404, UiPages.error(pages.view(ui, "Not found", ""), 404, "no such rotation"));
    }
    ApiHandler.Answer answer = ui.call("POST", "/v1/rotations/" + id + "/cancel", "", null);
    if (answer.status() >= 300) {
      return pages.refused(ui, answer);
    }
    return Answer.redirect("/ui/rotations/" + id);
  }
}
