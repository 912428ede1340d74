package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.StatusResponse;
import dev.keyturn.api.StatusRow;
import dev.keyturn.server.UiHandler.Answer;
import dev.keyturn.server.UiHandler.UiRequest;
import dev.keyturn.server.UiModel.Folder;
import dev.keyturn.server.UiModel.InventoryRow;
import dev.keyturn.server.UiModel.Link;
import dev.keyturn.server.UiModel.View;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * The dashboard's pages: each is built from the answers of API routes called in-process with the
 * session's token ({@link UiRequest#call}), so it shows what the API would show that token and
 * nothing else; an action button appears only when the route table would let the token call the
 * route behind it, and the action itself is an API request checked like any other.
 */
final class UiPages {
  static final int PAGE_SIZE = 100;
  static final List<String> STATES =
      List.of(
          "ok", "due", "overdue", "rotating", "failed", "waiting", "no rule", "invalid", "deleted");

  private final java.time.Clock clock;
  private final UiActions actions;

  UiPages(java.time.Clock clock) {
    this.clock = requireNonNull(clock, "clock");
    this.actions = new UiActions(this);
  }

  /** Now, by the server's clock. */
  Instant now() {
    return clock.instant();
  }

  Answer serve(String method, String path, UiRequest ui) {
    if (method.equals("GET")) {
      if (path.equals("/ui/secrets")) {
        return inventory(ui);
      }
      if (path.startsWith("/ui/secrets/")) {
        return UiSecretPage.show(ui, path.substring("/ui/secrets/".length()), this);
      }
      if (path.equals("/ui/rotations")) {
        return UiRotationPages.list(ui, this);
      }
      if (path.startsWith("/ui/rotations/")) {
        return UiRotationPages.show(ui, path.substring("/ui/rotations/".length()), this);
      }
      if (path.equals("/ui/audit")) {
        return UiAuditPage.show(ui, this);
      }
      if (path.equals("/ui/tokens")) {
        return UiTokenPages.list(ui, this);
      }
    } else if (path.equals("/ui/tokens")) {
      return UiTokenPages.create(ui, this);
    } else if (path.startsWith("/ui/rotations/") && path.endsWith("/cancel")) {
      return UiRotationPages.cancel(
          ui, path.substring("/ui/rotations/".length(), path.length() - "/cancel".length()), this);
    } else if (path.startsWith("/ui/tokens/") && path.endsWith("/revoke")) {
      return UiTokenPages.revoke(
          ui, this, path.substring("/ui/tokens/".length(), path.length() - "/revoke".length()));
    } else {
      Answer done = actions.post(path, ui);
      if (done != null) {
        return done;
      }
    }
    return Answer.page(404, error(view(ui, "Not found", ""), 404, "no such page"));
  }

  /** The frame every signed-in page shows. */
  View view(UiRequest ui, String title, String nav) {
    return view(ui, title, nav, false);
  }

  /** As above; a {@code live} page updates itself (see {@link View}). */
  View view(UiRequest ui, String title, String nav, boolean live) {
    return new View(
        title,
        nav,
        ui.caller.tokenId(),
        ui.caller.name(),
        ui.session.csrf,
        ui.permits("GET", "/v1/tokens"),
        live);
  }

  /** The API's error message in {@code answer}. */
  String message(ApiHandler.Answer answer) {
    return answer.body() instanceof ErrorResponse e ? e.error().message() : "the request failed";
  }

  /** The page for an API refusal or failure: its status and message. */
  Answer refused(UiRequest ui, ApiHandler.Answer answer) {
    return Answer.page(
        answer.status(), error(view(ui, "Error", ""), answer.status(), message(answer)));
  }

  /** The 404 for a name that is not a canonical secret name. */
  Answer noSuchSecret(UiRequest ui) {
    return Answer.page(404, error(view(ui, "Not found", ""), 404, "no such secret"));
  }

  static byte[] error(View view, int status, String message) {
    return UiRender.render("error.jte", new UiModel.Error(view, status, message));
  }

  static byte[] signIn(String error, boolean signedIn) {
    return UiRender.render("signin.jte", new UiModel.SignIn(error, signedIn));
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /**
   * The inventory (runbook B's schedule table) of {@code ?prefix=}: for a folder (empty, or ending
   * in {@code /}) the secrets directly in it and its subfolders as folder rows, else every secret
   * whose name starts with the prefix; rows the token may list, cut into pages of {@link
   * #PAGE_SIZE}. Sorted by name without a filter, a page is a window of the status board ({@code
   * GET /v1/status?after=&limit=}), which costs its own rows whatever the folder holds; a filter or
   * another order needs the whole board of the prefix.
   */
  private Answer inventory(UiRequest ui) {
    String prefix = ui.param("prefix");
    String state = ui.param("state");
    String owner = ui.param("owner");
    String q = ui.param("q");
    String sort =
        List.of("name", "next_due", "state", "owner").contains(ui.param("sort"))
            ? ui.param("sort")
            : "name";
    boolean tree = prefix.isEmpty() || prefix.endsWith("/");
    if (state.isEmpty() && owner.isEmpty() && q.isEmpty() && sort.equals("name")) {
      return window(ui, prefix, tree);
    }
    ApiHandler.Answer answer = ui.call("GET", "/v1/status", "prefix=" + enc(prefix), null);
    if (answer.status() != 200) {
      return refused(ui, answer);
    }
    List<StatusRow> all = ((StatusResponse) answer.body()).secrets();
    TreeMap<String, Integer> folders = new TreeMap<>();
    List<StatusRow> shown = new ArrayList<>();
    for (StatusRow r : all) {
      int slash = tree ? r.name().indexOf('/', prefix.length()) : -1;
      if (slash >= 0) {
        folders.merge(r.name().substring(prefix.length(), slash), 1, Integer::sum);
      } else if ((state.isEmpty() || state.equals(r.state()))
          && (owner.isEmpty() || owner.equals(r.owner()))
          && (q.isEmpty() || r.name().contains(q))) {
        shown.add(r);
      }
    }
    Comparator<StatusRow> order =
        switch (sort) {
          case "next_due" ->
              Comparator.comparing((StatusRow r) -> r.nextDue() == null ? "~" : r.nextDue());
          case "state" -> Comparator.comparing(StatusRow::state);
          case "owner" -> Comparator.comparing((StatusRow r) -> r.owner() == null ? "" : r.owner());
          default -> Comparator.comparing(StatusRow::name);
        };
    shown.sort(order.thenComparing(StatusRow::name));
    int pages = Math.max(1, (shown.size() + PAGE_SIZE - 1) / PAGE_SIZE);
    int page = 1;
    if (ui.param("page").matches("[0-9]{1,6}")) {
      page = Math.max(1, Math.min(pages, Integer.parseInt(ui.param("page"))));
    }
    String base = base(prefix, q, state, owner, sort) + "&page=";
    return inventoryPage(
        ui,
        prefix,
        folders,
        shown.subList((page - 1) * PAGE_SIZE, Math.min(shown.size(), page * PAGE_SIZE)),
        shown.size(),
        page,
        pages,
        page > 1 ? base + (page - 1) : "",
        page < pages ? base + (page + 1) : "");
  }

  /**
   * A page of the inventory sorted by name: the rows after {@code ?after=} (the last name of the
   * page before), as {@code GET /v1/status} computes them for that window only.
   */
  private Answer window(UiRequest ui, String prefix, boolean tree) {
    String after = ui.param("after");
    String query =
        "prefix="
            + enc(prefix)
            + "&limit="
            + PAGE_SIZE
            + (tree ? "&tree=true" : "")
            + (after.isEmpty() ? "" : "&after=" + enc(after));
    ApiHandler.Answer answer = ui.call("GET", "/v1/status", query, null);
    if (answer.status() != 200) {
      return refused(ui, answer);
    }
    StatusResponse status = (StatusResponse) answer.body();
    int total = status.total() == null ? status.secrets().size() : status.total();
    int pages = Math.max(1, (total + PAGE_SIZE - 1) / PAGE_SIZE);
    // The page number only labels the page: the window is found by name.
    int page = 1;
    if (!after.isEmpty() && ui.param("page").matches("[0-9]{1,6}")) {
      page = Math.max(2, Math.min(pages, Integer.parseInt(ui.param("page"))));
    }
    TreeMap<String, Integer> folders = new TreeMap<>();
    if (status.folders() != null) {
      status.folders().forEach(f -> folders.put(f.name(), f.secrets()));
    }
    String base = base(prefix, "", "", "", "name");
    return inventoryPage(
        ui,
        prefix,
        folders,
        status.secrets(),
        total,
        page,
        pages,
        after.isEmpty() ? "" : base,
        status.next() == null ? "" : base + "&after=" + enc(status.next()) + "&page=" + (page + 1));
  }

  private static String base(String prefix, String q, String state, String owner, String sort) {
    return "/ui/secrets?prefix="
        + enc(prefix)
        + "&q="
        + enc(q)
        + "&state="
        + enc(state)
        + "&owner="
        + enc(owner)
        + "&sort="
        + sort;
  }

  private Answer inventoryPage(
      UiRequest ui,
      String prefix,
      TreeMap<String, Integer> folders,
      List<StatusRow> shown,
      int total,
      int page,
      int pages,
      String prev,
      String next) {
    Instant now = now();
    List<InventoryRow> rows = new ArrayList<>();
    for (StatusRow r : shown) {
      rows.add(
          new InventoryRow(
              r.name(),
              r.type() == null ? "" : r.type(),
              r.currentVersion() == null ? "" : "v" + r.currentVersion(),
              stages(r),
              r.state(),
              UiRender.time(r.nextDue(), now),
              UiRender.time(r.lastRotated(), now),
              r.owner() == null ? "" : r.owner()));
    }
    List<Folder> folderList = new ArrayList<>();
    folders.forEach((name, count) -> folderList.add(new Folder(name, prefix + name + "/", count)));
    return Answer.page(
        200,
        UiRender.render(
            "secrets.jte",
            new UiModel.Inventory(
                view(ui, "Secrets", "secrets"),
                prefix,
                crumbs(prefix),
                ui.param("state"),
                ui.param("owner"),
                ui.param("q"),
                List.of("name", "next_due", "state", "owner").contains(ui.param("sort"))
                    ? ui.param("sort")
                    : "name",
                STATES,
                folderList,
                rows,
                total,
                page,
                pages,
                prev,
                next)));
  }

  private static String stages(StatusRow r) {
    List<String> out = new ArrayList<>();
    if (r.pendingVersion() != null) {
      out.add("v" + r.pendingVersion() + " pending");
    }
    if (r.currentVersion() != null) {
      out.add("v" + r.currentVersion() + " current");
    }
    if (r.previousVersion() != null) {
      out.add("v" + r.previousVersion() + " previous");
    }
    return String.join(", ", out);
  }

  /** Links to each folder above and at {@code prefix}, from the top. */
  private static List<Link> crumbs(String prefix) {
    List<Link> out = new ArrayList<>();
    out.add(new Link("all", "/ui/secrets"));
    String[] parts = prefix.split("/");
    StringBuilder at = new StringBuilder();
    for (String part : parts) {
      if (part.isEmpty()) {
        continue;
      }
      at.append(part).append('/');
      out.add(new Link(part, "/ui/secrets?prefix=" + enc(at.toString())));
    }
    return out;
  }
}
