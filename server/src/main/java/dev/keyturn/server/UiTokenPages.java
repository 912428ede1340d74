package dev.keyturn.server;

import dev.keyturn.api.TokenCreateRequest;
import dev.keyturn.api.TokenCreated;
import dev.keyturn.api.TokenInfo;
import dev.keyturn.api.TokenListResponse;
import dev.keyturn.server.UiHandler.Answer;
import dev.keyturn.server.UiHandler.UiRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The tokens page ({@code /ui/tokens}, {@code admin:*} as {@code GET /v1/tokens} is): every token
 * with its creator and expiry; create ({@code POST /v1/tokens}: the new token is shown once, on the
 * answer to the form, never again) and revoke ({@code DELETE /v1/tokens/ID}, which revokes the
 * tokens it made too; never the token the session is signed in with).
 */
final class UiTokenPages {
  private UiTokenPages() {}

  static Answer list(UiRequest ui, UiPages pages) {
    return list(ui, pages, null, "", 200);
  }

  private static Answer list(
      UiRequest ui, UiPages pages, TokenCreated created, String error, int status) {
    ApiHandler.Answer answer = ui.call("GET", "/v1/tokens", "", null);
    if (answer.status() != 200) {
      return pages.refused(ui, answer);
    }
    Instant now = pages.now();
    List<TokenInfo> tokens = ((TokenListResponse) answer.body()).tokens();
    java.util.Set<String> own = lineage(ui, tokens);
    List<UiModel.TokenRow> rows = new ArrayList<>();
    for (TokenInfo t : tokens) {
      rows.add(
          new UiModel.TokenRow(
              t.id(),
              t.name() == null ? "" : t.name(),
              String.join(" ", t.grants()),
              t.creator() == null ? "" : t.creator(),
              UiRender.time(t.createdAt(), now),
              UiRender.time(t.expiresAt(), now),
              UiRender.time(t.revokedAt(), now),
              t.valid(),
              own.contains(t.id())));
    }
    return Answer.page(
        status,
        UiRender.render(
            "tokens.jte",
            new UiModel.Tokens(
                pages.view(ui, "Tokens", "tokens"),
                rows,
                created == null ? "" : created.id(),
                created == null ? "" : created.token(),
                error)));
  }

  /**
   * The session's own token and the tokens it was made by (its creator, that one's creator, ...):
   * revoking any of them revokes the session's token too.
   */
  private static java.util.Set<String> lineage(UiRequest ui, List<TokenInfo> tokens) {
    java.util.Map<String, String> creators = new java.util.HashMap<>();
    for (TokenInfo t : tokens) {
      if (t.creator() != null) {
        creators.put(t.id(), t.creator());
      }
    }
    java.util.Set<String> out = new java.util.HashSet<>();
    for (String id = ui.caller.tokenId(); id != null && out.add(id); id = creators.get(id)) {}
    return out;
  }

  /** {@code POST /ui/tokens}: fields name, grants (space or comma separated) and ttl. */
  static Answer create(UiRequest ui, UiPages pages) {
    List<String> grants =
        Arrays.stream(ui.field("grants").split("[\\s,]+")).filter(g -> !g.isEmpty()).toList();
    String ttl = ui.field("ttl").strip();
    ApiHandler.Answer answer =
        ui.call(
            "POST",
            "/v1/tokens",
            "",
            new TokenCreateRequest(ui.field("name").strip(), grants, ttl.isEmpty() ? null : ttl));
    if (answer.status() == 403 || answer.status() == 401) {
      return pages.refused(ui, answer);
    }
    if (answer.status() >= 300) {
      return list(ui, pages, null, pages.message(answer), answer.status());
    }
    return list(ui, pages, (TokenCreated) answer.body(), "", 200);
  }

  /** {@code POST /ui/tokens/ID/revoke}. */
  static Answer revoke(UiRequest ui, UiPages pages, String id) {
    if (!id.matches("[A-Za-z0-9_]{1,64}")) {
      return Answer.page(404, UiPages.error(pages.view(ui, "Not found", ""), 404, "no such token"));
    }
    boolean own = id.equals(ui.caller.tokenId());
    if (!own) {
      ApiHandler.Answer listed = ui.call("GET", "/v1/tokens", "", null);
      if (listed.status() == 200) {
        own = lineage(ui, ((TokenListResponse) listed.body()).tokens()).contains(id);
      }
    }
    if (own) {
      // Revoking the token the session runs on (the root token, say), or any token above it (a
      // revocation takes every token made below it), would lock the dashboard out with it: the
      // page offers no button for them, and a forged or stale form is refused here. `keyturn
      // token revoke` still does it.
      return list(
          ui,
          pages,
          null,
          "this session's own token, and the tokens it was made by, are not revoked from the"
              + " dashboard: use keyturn token revoke",
          409);
    }
    ApiHandler.Answer answer = ui.call("DELETE", "/v1/tokens/" + id, "", null);
    if (answer.status() == 403 || answer.status() == 401) {
      return pages.refused(ui, answer);
    }
    if (answer.status() >= 300) {
      return list(ui, pages, null, pages.message(answer), answer.status());
    }
    return Answer.redirect("/ui/tokens");
  }
}
