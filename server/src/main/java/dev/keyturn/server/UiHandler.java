package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.WhoAmIResponse;
import dev.keyturn.core.Caller;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.UrlEncoded;

/**
 * Serves the web dashboard under {@code /ui/}: sign-in with a pasted token (exchanged for a {@link
 * UiSessions} session cookie), sign-out, the pages ({@link UiPages}) and their static files. The
 * dashboard is an API client with the signed-in token's grants and no more: every page and action
 * is made of API requests served in-process by {@link ApiHandler#call}, through the route table,
 * {@link Authorizer} and the audit log. Every answer carries a strict Content-Security-Policy,
 * {@code X-Frame-Options: DENY} and {@code Cache-Control: no-store} (static files excepted); every
 * POST but sign-in needs the session's CSRF token, and every POST from another origin is refused.
 * Failed sign-ins and unknown session cookies count against the client address in the same {@link
 * AuthThrottle} as the API's failed authentications. Thread-safe.
 */
final class UiHandler {
  static final String ROOT = "/ui";
  static final String PREFIX = "/ui/";
  static final String COOKIE = "keyturn_session";
  static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src"
          + " 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src"
          + " 'none'";
  private static final int MAX_FORM = 64 * 1024;

  private final ApiHandler api;
  private final Authenticator authenticator;
  private final AuthThrottle throttle;
  private final TrustedProxies proxies;
  private final UiSessions sessions;
  private final UiPages pages;

  UiHandler(
      ApiHandler api,
      Authenticator authenticator,
      AuthThrottle throttle,
      TrustedProxies proxies,
      UiSessions sessions,
      java.time.Clock clock) {
    this.api = requireNonNull(api, "api");
    this.authenticator = requireNonNull(authenticator, "authenticator");
    this.throttle = requireNonNull(throttle, "throttle");
    this.proxies = requireNonNull(proxies, "proxies");
    this.sessions = requireNonNull(sessions, "sessions");
    this.pages = new UiPages(clock);
  }

  /** One browser request as a page sees it: the session, its caller and the API to call. */
  static final class UiRequest {
    final Request request;
    final UiSessions.Session session;
    final Caller caller;
    final Map<String, String> query;
    final Map<String, String> form;
    private final ApiHandler api;
    private final java.util.List<dev.keyturn.core.spi.AuditEvent> reads =
        new java.util.ArrayList<>();

    UiRequest(
        Request request,
        UiSessions.Session session,
        Caller caller,
        Map<String, String> query,
        Map<String, String> form,
        ApiHandler api) {
      this.request = request;
      this.session = session;
      this.caller = caller;
      this.query = query;
      this.form = form;
      this.api = api;
    }

    /**
     * The API's answer to {@code method path?query} with {@code body} as this session's token. The
     * page's plain reads are recorded together, as one audit record ({@link ApiHandler#auditPage}).
     */
    ApiHandler.Answer call(String method, String path, String query, Object body) {
      byte[] json = body == null ? null : dev.keyturn.api.WireJson.mapper().writeValueAsBytes(body);
      return api.call(request, method, path, query, json, () -> caller, reads).join();
    }

    /** Whether the route for {@code method path} lets this session's token call it. */
    boolean permits(String method, String path) {
      return api.permits(method, path, Optional.empty(), caller, false);
    }

    /** As {@link #permits(String, String)}, for a list's rows about {@code secret}. */
    boolean permitsRowsOf(String method, String path, String secret) {
      return api.permits(method, path, dev.keyturn.core.SecretName.parse(secret), caller, false);
    }

    /** Whether the route also grants its elevated capability (a roll-back needs admin). */
    boolean permitsElevated(String method, String path) {
      return api.permits(method, path, Optional.empty(), caller, true);
    }

    String param(String key) {
      String v = query.get(key);
      return v == null ? "" : v;
    }

    String field(String key) {
      String v = form.get(key);
      return v == null ? "" : v;
    }
  }

  /** What a page answers: HTML with a status, or a redirect (303) to {@code location}. */
  record Answer(int status, byte[] html, String location, Optional<HttpCookie> cookie) {
    static Answer page(int status, byte[] html) {
      return new Answer(status, html, null, Optional.empty());
    }

    static Answer redirect(String location) {
      return new Answer(303, new byte[0], location, Optional.empty());
    }

    Answer with(HttpCookie cookie) {
      return new Answer(status, html, location, Optional.of(cookie));
    }
  }

  boolean handle(Request request, Response response, Callback callback) {
    headers(response);
    String path = request.getHttpURI().getPath();
    String method = request.getMethod();
    if (path.startsWith(UiStatic.PREFIX)) {
      UiStatic.serve(path, method, response, callback);
      return true;
    }
    Answer answer;
    try {
      answer = answer(request, response, path, method);
    } catch (RuntimeException e) {
      HttpError error = HttpError.of(e);
      answer =
          Answer.page(
              error.status(),
              UiPages.error(
                  null, error.status(), ((ErrorResponse) error.body()).error().message()));
    }
    send(request, response, callback, answer);
    return true;
  }

  private Answer answer(Request request, Response response, String path, String method) {
    if (path.equals(ROOT) || path.equals(PREFIX)) {
      return Answer.redirect("/ui/secrets");
    }
    String client = proxies.client(request);
    if (throttle.blocked(client)) {
      response
          .getHeaders()
          .put(HttpHeader.RETRY_AFTER, Long.toString(throttle.retryAfterSeconds(client)));
      return Answer.page(
          429,
          UiPages.error(
              null,
              429,
              "too many failed sign-ins or unknown sessions from this address; try again later"));
    }
    boolean post = method.equals("POST");
    if (!post && !method.equals("GET")) {
      return Answer.page(405, UiPages.error(null, 405, "use GET or POST"));
    }
    if (post && !sameOrigin(request)) {
      return Answer.page(403, UiPages.error(null, 403, "a form from another site is refused"));
    }
    Optional<String> cookie = cookie(request);
    Optional<UiSessions.Session> session = cookie.flatMap(sessions::find);
    if (cookie.isPresent() && session.isEmpty()) {
      // An unknown or ended session's cookie is dropped, so that it counts once, not on every
      // request until the browser is closed.
      throttle.failure(client);
      if (path.equals("/ui/sign-in") && post) {
        return signIn(request, form(request));
      }
      return (post
              ? Answer.page(403, UiPages.error(null, 403, "the session ended: sign in again"))
              : Answer.redirect("/ui/sign-in"))
          .with(expired(request));
    }
    if (path.equals("/ui/sign-in")) {
      if (post) {
        return signIn(request, form(request));
      }
      return Answer.page(200, UiPages.signIn("", session.isPresent()));
    }
    if (session.isEmpty()) {
      if (post) {
        return Answer.page(403, UiPages.error(null, 403, "sign in first"));
      }
      return Answer.redirect("/ui/sign-in");
    }
    Caller caller;
    try {
      caller = authenticator.authenticateHash(session.get().tokenHash);
    } catch (KeyturnException.Unauthenticated e) {
      // The token was revoked or expired: its sessions end with it.
      sessions.end(session.get());
      return (post
              ? Answer.page(403, UiPages.error(null, 403, "the session ended: sign in again"))
              : Answer.redirect("/ui/sign-in"))
          .with(expired(request));
    }
    Map<String, String> form = Map.of();
    if (post) {
      form = form(request);
      if (!session.get().csrfMatches(form.get("csrf"))) {
        return Answer.page(
            403, UiPages.error(null, 403, "the form's CSRF token is missing or wrong: reload"));
      }
      if (path.equals("/ui/sign-out")) {
        sessions.end(session.get());
        return Answer.redirect("/ui/sign-in").with(expired(request));
      }
    }
    UiRequest ui = new UiRequest(request, session.get(), caller, query(request), form, api);
    try {
      return pages.serve(method, path, ui);
    } finally {
      // One record for the page's reads, durable before the page is answered (else a 503 page).
      try {
        api.auditPage(path, ui.reads).join();
      } catch (java.util.concurrent.CompletionException e) {
        throw new HttpError.ApiException(
            503, ErrorCodes.UNAVAILABLE, "the audit log is unavailable; try again");
      }
    }
  }

  private Answer signIn(Request request, Map<String, String> form) {
    String token = form.getOrDefault("token", "").strip();
    if (token.isEmpty() || token.length() > 256) {
      return Answer.page(400, UiPages.signIn("paste a token", false));
    }
    // Signing in is an API request (GET /v1/whoami) with the pasted token: the same throttle,
    // authentication and audit record as any client's.
    ApiHandler.Answer whoami =
        api.call(
                request,
                "GET",
                "/v1/whoami",
                "",
                null,
                () -> authenticator.authenticate(Optional.of("Bearer " + token)))
            .join();
    if (whoami.status() != 200) {
      String message = ((ErrorResponse) whoami.body()).error().message();
      return Answer.page(whoami.status(), UiPages.signIn(message, false));
    }
    String id = sessions.open(Tokens.hash(token), ((WhoAmIResponse) whoami.body()).tokenId());
    return Answer.redirect("/ui/secrets").with(cookie(request, id, -1));
  }

  private static HttpCookie cookie(Request request, String value, long maxAge) {
    return HttpCookie.build(COOKIE, value)
        .path(ROOT)
        .httpOnly(true)
        .secure(request.isSecure())
        .sameSite(HttpCookie.SameSite.STRICT)
        .maxAge(maxAge)
        .build();
  }

  private static HttpCookie expired(Request request) {
    return cookie(request, "", 0);
  }

  private static Optional<String> cookie(Request request) {
    for (HttpCookie c : Request.getCookies(request)) {
      if (c.getName().equals(COOKIE)) {
        return Optional.of(c.getValue());
      }
    }
    return Optional.empty();
  }

  /**
   * A POST whose Origin (or, without one, whose Sec-Fetch-Site) says it came from another site is
   * refused: the CSRF token stops forged forms, this also stops a forged sign-in.
   */
  private static boolean sameOrigin(Request request) {
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    String host = request.getHeaders().get(HttpHeader.HOST);
    if (origin != null && !origin.equals("null")) {
      try {
        URI uri = new URI(origin);
        String authority = uri.getRawAuthority();
        return host != null && host.equalsIgnoreCase(authority);
      } catch (java.net.URISyntaxException e) {
        return false;
      }
    }
    if (origin != null) {
      return false;
    }
    String site = request.getHeaders().get("Sec-Fetch-Site");
    return site == null || site.equals("same-origin") || site.equals("none");
  }

  private static Map<String, String> query(Request request) {
    Fields fields = Request.extractQueryParameters(request);
    Map<String, String> out = new HashMap<>();
    for (Fields.Field f : fields) {
      out.put(f.getName(), f.getValue());
    }
    return out;
  }

  private static Map<String, String> form(Request request) {
    if (request.getLength() > MAX_FORM) {
      throw HttpError.tooLarge(MAX_FORM);
    }
    try (InputStream in = Request.asInputStream(request)) {
      byte[] body = in.readNBytes(MAX_FORM + 1);
      if (body.length > MAX_FORM) {
        throw HttpError.tooLarge(MAX_FORM);
      }
      Fields fields = new Fields();
      UrlEncoded.decodeUtf8To(new String(body, StandardCharsets.ISO_8859_1), fields);
      Map<String, String> out = new HashMap<>();
      for (Fields.Field f : fields) {
        out.put(f.getName(), f.getValue());
      }
      return out;
    } catch (IOException | IllegalArgumentException e) {
      throw HttpError.badRequest("the form could not be read");
    }
  }

  private static void headers(Response response) {
    response.getHeaders().put("Content-Security-Policy", CSP);
    response.getHeaders().put("X-Frame-Options", "DENY");
    response.getHeaders().put("X-Content-Type-Options", "nosniff");
    response.getHeaders().put("Referrer-Policy", "same-origin");
  }

  private static void send(Request request, Response response, Callback callback, Answer answer) {
    response.setStatus(answer.status());
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    answer.cookie().ifPresent(c -> Response.addCookie(response, c));
    if (answer.location() != null) {
      response.getHeaders().put(HttpHeader.LOCATION, answer.location());
      response.write(true, ByteBuffer.allocate(0), callback);
      return;
    }
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html; charset=utf-8");
    response.write(
        true,
        ByteBuffer.wrap(request.getMethod().equals("HEAD") ? new byte[0] : answer.html()),
        callback);
  }
}
