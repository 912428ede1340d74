package dev.keyturn.server;

import java.util.List;

/**
 * What the dashboard's templates ({@code server/src/main/jte}) render: plain values, already
 * filtered by the API answers they come from. None holds a secret value except {@link Reveal},
 * which is rendered only in answer to a reveal POST.
 */
final class UiModel {
  private UiModel() {}

  /**
   * What every page's frame shows: the title, the signed-in token and its CSRF token; a {@code
   * live} page updates itself (htmx, loaded on such pages only; without JavaScript it reloads every
   * 5 seconds).
   */
  record View(
      String title,
      String nav,
      String tokenId,
      String tokenName,
      String csrf,
      boolean tokens,
      boolean live) {
    /** A frame that does not reload itself. */
    View(String title, String nav, String tokenId, String tokenName, String csrf, boolean tokens) {
      this(title, nav, tokenId, tokenName, csrf, tokens, false);
    }
  }

  /** A time as {@code <time>} shows it: ISO for the machine, exact UTC on hover, relative text. */
  record Time(String iso, String exact, String relative) {
    static final Time NONE = new Time("", "", "");

    boolean present() {
      return !iso.isEmpty();
    }
  }

  /** A link with a label. */
  record Link(String label, String href) {}

  record SignIn(String error, boolean signedIn) {}

  record Error(View view, int status, String message) {}

  /** One secret on the inventory page. */
  record InventoryRow(
      String name,
      String type,
      String current,
      String stages,
      String state,
      Time nextDue,
      Time lastRotated,
      String owner) {}

  /** A folder one level below the inventory's prefix, with how many secrets it holds. */
  record Folder(String name, String prefix, int count) {}

  record Inventory(
      View view,
      String prefix,
      List<Link> crumbs,
      String state,
      String owner,
      String q,
      String sort,
      List<String> states,
      List<Folder> folders,
      List<InventoryRow> rows,
      int total,
      int page,
      int pages,
      String prev,
      String next) {}

  /** One version on the secret page, with the stage moves the token may make on it. */
  record VersionRow(
      int version,
      String stage,
      String type,
      Time created,
      String createdBy,
      Time acceptUntil,
      boolean rollBack,
      boolean retire) {}

  /** A rotation in a list. */
  record RotationRow(
      String id,
      String secret,
      String state,
      boolean emergency,
      Time started,
      Time updated,
      String requestedBy,
      String reason) {}

  /** An audit record in a list. */
  record AuditRow(
      long seq,
      Time time,
      String tokenId,
      String client,
      String action,
      String secret,
      String version,
      String result,
      String detail) {}

  /** What the secret page offers: each only when the route behind it would let the token. */
  record Actions(boolean reveal, boolean rotate, boolean stage, boolean rollBack) {}

  record SecretPage(
      View view,
      String name,
      String type,
      String state,
      String owner,
      Time created,
      Time updated,
      Time nextDue,
      Time lastRotated,
      String ruleWords,
      String purpose,
      String impact,
      List<VersionRow> versions,
      List<VersionRow> keyring,
      boolean rotationsShown,
      List<RotationRow> rotations,
      boolean auditShown,
      List<AuditRow> audit,
      String readers,
      Actions actions,
      String error) {}

  /** A value revealed in answer to a reveal POST; the page is never cached. */
  record Reveal(View view, String name, int version, String stage, String value) {
    @Override
    public String toString() {
      return "Reveal[" + name + "#" + version + ", value=[redacted]]";
    }
  }

  record Rotations(
      View view, String prefix, String state, List<String> states, List<RotationRow> rows) {}

  /** One step of the state machine (create, set, test, finish) and how far it got. */
  record Step(String name, String result) {}

  /** One hook or check of a rotation's checklist. */
  record Check(String name, boolean ok, String duration, String message) {}

  record RotationPage(
      View view,
      String id,
      String secret,
      String state,
      boolean running,
      boolean emergency,
      int attempt,
      Time started,
      Time updated,
      Time nextAttempt,
      String pendingVersion,
      String requestedBy,
      String requestReason,
      String reason,
      List<Step> steps,
      List<Check> checks,
      String next,
      boolean cancel) {}

  record Audit(
      View view,
      String secret,
      String action,
      String result,
      String token,
      String since,
      List<String> results,
      List<AuditRow> rows,
      boolean more,
      boolean chainShown,
      String checkpoint,
      String chain) {}

  record TokenRow(
      String id,
      String name,
      String grants,
      String creator,
      Time created,
      Time expires,
      Time revoked,
      boolean valid,
      boolean own) {}

  /** The tokens page; {@code createdToken} is the token just made, shown this once. */
  record Tokens(
      View view, List<TokenRow> rows, String createdId, String createdToken, String error) {
    @Override
    public String toString() {
      return "Tokens[" + rows.size() + " rows, created=" + createdId + "]";
    }
  }
}
