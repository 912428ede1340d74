package dev.keyturn.server;

import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.StageRequest;
import dev.keyturn.core.SecretName;
import dev.keyturn.server.UiHandler.Answer;
import dev.keyturn.server.UiHandler.UiRequest;
import java.util.Optional;

/**
 * The dashboard's actions on a secret (each a POST carrying the session's CSRF token, checked by
 * {@link UiHandler}): reveal ({@code GET /v1/secrets/NAME}, audited as a read), rotate now and
 * emergency rotation ({@code POST /v1/rotate/NAME}), roll back and retire early ({@code POST
 * /v1/stages/NAME}). Each is an API request with the session's token, so the route table decides it
 * again whatever buttons the page showed; a refusal shows the API's status and message.
 */
final class UiActions {
  private final UiPages pages;

  UiActions(UiPages pages) {
    this.pages = pages;
  }

  /** The answer to a POST to {@code path}, or null when no action lives there. */
  Answer post(String path, UiRequest ui) {
    if (path.startsWith("/ui/reveal/")) {
      return reveal(ui, path.substring("/ui/reveal/".length()));
    }
    if (path.startsWith("/ui/rotate/")) {
      return rotate(ui, path.substring("/ui/rotate/".length()));
    }
    if (path.startsWith("/ui/stage/")) {
      return stage(ui, path.substring("/ui/stage/".length()));
    }
    return null;
  }

  private Answer reveal(UiRequest ui, String raw) {
    Optional<SecretName> name = SecretName.parse(raw);
    if (name.isEmpty()) {
      return pages.noSuchSecret(ui);
    }
    ApiHandler.Answer read = ui.call("GET", "/v1/secrets/" + name.get().value(), "", null);
    if (read.status() != 200) {
      return pages.refused(ui, read);
    }
    SecretValueResponse value = (SecretValueResponse) read.body();
    String text =
        value.value().isString()
            ? value.value().stringValue()
            : dev.keyturn.api.WireJson.mapper().writeValueAsString(value.value());
    return Answer.page(
        200,
        UiRender.render(
            "reveal.jte",
            new UiModel.Reveal(
                pages.view(ui, name.get().value(), "secrets"),
                value.name(),
                value.version(),
                value.stage(),
                text)));
  }

  private Answer rotate(UiRequest ui, String raw) {
    Optional<SecretName> name = SecretName.parse(raw);
    if (name.isEmpty()) {
      return pages.noSuchSecret(ui);
    }
    boolean emergency = ui.field("emergency").equals("true");
    String reason = ui.field("reason").strip();
    if (emergency && !ui.field("confirm").equals(name.get().value())) {
      return UiSecretPage.show(
          ui,
          name.get().value(),
          pages,
          "to start an emergency rotation, type the secret's name to confirm",
          400);
    }
    if (emergency && reason.isEmpty()) {
      return UiSecretPage.show(
          ui, name.get().value(), pages, "an emergency rotation needs a reason", 400);
    }
    ApiHandler.Answer started =
        ui.call(
            "POST",
            "/v1/rotate/" + name.get().value(),
            "",
            new RotateRequest(null, emergency ? Boolean.TRUE : null, emergency ? reason : null));
    if (started.status() != 200 && started.status() != 201 && started.status() != 202) {
      return refusedOnPage(ui, name.get().value(), started);
    }
    return Answer.redirect("/ui/rotations/" + ((RotationInfo) started.body()).id());
  }

  private Answer stage(UiRequest ui, String raw) {
    Optional<SecretName> name = SecretName.parse(raw);
    if (name.isEmpty()) {
      return pages.noSuchSecret(ui);
    }
    String stage = ui.field("stage");
    if (!ui.field("version").matches("[0-9]{1,9}")
        || !(stage.equals("current") || stage.equals("retired"))) {
      return UiSecretPage.show(
          ui, name.get().value(), pages, "give a version and the stage current or retired", 400);
    }
    ApiHandler.Answer moved =
        ui.call(
            "POST",
            "/v1/stages/" + name.get().value(),
            "",
            new StageRequest(Integer.parseInt(ui.field("version")), stage, null));
    if (moved.status() >= 300) {
      return refusedOnPage(ui, name.get().value(), moved);
    }
    return Answer.redirect("/ui/secrets/" + name.get().value());
  }

  /**
   * A refused action: a 403 or 404 is the error page (the secret page itself may be out of reach);
   * anything else is the secret page with the API's message.
   */
  private Answer refusedOnPage(UiRequest ui, String name, ApiHandler.Answer answer) {
    if (answer.status() == 403 || answer.status() == 404 || answer.status() == 401) {
      return pages.refused(ui, answer);
    }
    return UiSecretPage.show(ui, name, pages, pages.message(answer), answer.status());
  }
}
