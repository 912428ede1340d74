package dev.keyturn.server;

import static java.util.Objects.requireNonNull;
import static net.logstash.logback.argument.StructuredArguments.kv;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.HealthResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.Caller;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.KeyturnVersion;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.VersionSet.StageChange;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Serves {@code /v1/...}: throttle, authenticate, authorize and dispatch through the {@link Routes}
 * table, audit, answer. Every API request, refused ones included, is audited before its answer is
 * sent; when the audit record cannot be written the answer is a 503 and no secret byte leaves
 * (DESIGN invariant 6). Secret names come from the raw request path, before any decoding or
 * normalization, and must already be canonical. Health, metrics and the API document need no token
 * and are not audited.
 *
 * <p>Every request gets an id ({@link RequestIds}), answered in {@code X-Request-Id}, set in the
 * log's MDC while the request is served, and ended as {@code request=ID} on the detail of each of
 * its audit records. Each audited request logs one line (logger {@code dev.keyturn.server.access})
 * with its action, status and duration: never a path, a value or a token.
 */
final class ApiHandler extends Handler.Abstract {
  private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
  private static final Logger access = LoggerFactory.getLogger("dev.keyturn.server.access");
  private static final String UNKNOWN = "request.unknown";

  private final List<Route> routes;
  private final Authenticator authenticator;
  private final AuthThrottle throttle;
  private final AuditLog audit;
  private final Metrics metrics;
  private final byte[] openApi;
  private final TrustedProxies proxies;
  private final RepeatedRefusals refusals;
  private final Clock clock;
  private final UiHandler ui;

  ApiHandler(
      List<Route> routes,
      Authenticator authenticator,
      AuthThrottle throttle,
      AuditLog audit,
      Metrics metrics,
      TrustedProxies proxies,
      RepeatedRefusals refusals,
      Clock clock,
      Optional<UiSessions> sessions) {
    this.routes = Routes.check(routes);
    this.authenticator = requireNonNull(authenticator, "authenticator");
    this.throttle = requireNonNull(throttle, "throttle");
    this.audit = requireNonNull(audit, "audit");
    this.metrics = requireNonNull(metrics, "metrics");
    this.proxies = requireNonNull(proxies, "proxies");
    this.refusals = requireNonNull(refusals, "refusals");
    this.clock = requireNonNull(clock, "clock");
    this.openApi = OpenApi.document(this.routes);
    JsonBody.prepare(
        this.routes.stream()
            .<Class<?>>map(Route::requestType)
            .filter(java.util.Objects::nonNull)
            .toList());
    this.ui =
        sessions
            .map(s -> new UiHandler(this, authenticator, throttle, proxies, s, clock))
            .orElse(null);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String requestId = RequestIds.of(request);
    response.getHeaders().put(RequestIds.HEADER, requestId);
    MDC.put(RequestIds.MDC_KEY, requestId);
    try {
      return handle(request, response, callback, requestId);
    } finally {
      MDC.remove(RequestIds.MDC_KEY);
    }
  }

  private boolean handle(Request request, Response response, Callback callback, String requestId) {
    String path = request.getHttpURI().getPath();
    String method = request.getMethod();
    long start = System.nanoTime();
    if (path != null && method.equals("GET")) {
      switch (path) {
        case "/v1/health" -> {
          send(
              response,
              callback,
              200,
              json(new HealthResponse("ok", KeyturnVersion.get())),
              "application/json");
          metrics.request("health", 200, System.nanoTime() - start);
          return true;
        }
        case "/metrics" -> {
          byte[] text = metrics.scrape().getBytes(StandardCharsets.UTF_8);
          send(response, callback, 200, text, "text/plain; version=0.0.4; charset=utf-8");
          metrics.request("metrics", 200, System.nanoTime() - start);
          return true;
        }
        case "/v1/openapi.json" -> {
          send(response, callback, 200, openApi, "application/json");
          metrics.request("openapi", 200, System.nanoTime() - start);
          return true;
        }
        default -> {}
      }
    }
    if (ui != null
        && path != null
        && (path.equals(UiHandler.ROOT) || path.startsWith(UiHandler.PREFIX))) {
      return ui.handle(request, response, callback);
    }
    Outcome outcome =
        serve(
            request,
            path == null ? "" : path,
            method,
            requestId,
            () -> authenticator.authenticate(Exchange.authorization(request)));
    // The answer leaves only once its audit records are durable: a change's records committed
    // with it; any other request's go to the group commit, and the thread is not held while it
    // runs: the answer is sent from the audit log's completion.
    audited(outcome)
        .whenComplete((done, failure) -> {
          // The group commit may complete this on its own thread.
          MDC.put(RequestIds.MDC_KEY, requestId);
          if (outcome.body instanceof Streamed stream) {
            if (failure == null) {
              long elapsed = System.nanoTime() - start;
              metrics.request(outcome.action, 200, elapsed);
              access.info(
                  "{} {} {}",
                  kv("action", outcome.action),
                  kv("status", 200),
                  kv("duration_ms", elapsed / 1_000_000));
              MDC.remove(RequestIds.MDC_KEY);
              stream.start(request, response, callback);
              return;
            }
            stream.abandon();
          }
          refuseUnaudited(outcome, failure);
          long elapsed = System.nanoTime() - start;
          metrics.request(outcome.action, outcome.status, elapsed);
          access.info(
              "{} {} {}",
              kv("action", outcome.action),
              kv("status", outcome.status),
              kv("duration_ms", elapsed / 1_000_000));
          MDC.remove(RequestIds.MDC_KEY);
          if (outcome.allow != null) {
            response.getHeaders().put(HttpHeader.ALLOW, outcome.allow);
          }
          if (outcome.retryAfter > 0) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(outcome.retryAfter));
          }
          if (outcome.body instanceof PublicDocument document) {
            send(
                response,
                callback,
                outcome.status,
                document.json(),
                "application/json",
                "public, max-age=" + document.maxAgeSeconds());
            return;
          }
          send(response, callback, outcome.status, json(outcome.body), "application/json");
        });
    return true;
  }

  /**
   * Writes the reads a dashboard page view was made of ({@link #call} with a page) as one record
   * per secret they name (reads that name none join the first; one record when none does): the
   * first read's action, secret and request id, with the page's path, every read's action and every
   * read's own detail in its detail ({@code page=/ui/secrets/app/db
   * reads=secret.describe,secret.history,... request=ID; prefix=app/db rows=1 request=ID}), so that
   * what a read found (a chain {@code broken at N}) stays on record. Completes once it is durable;
   * fails when it cannot be written, and the page is then not shown.
   */
  CompletableFuture<Void> auditPage(String path, List<AuditEvent> page) {
    if (page.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    // Only a canonical page path is recorded: anything else could be anything a client sent.
    String shown = path.matches("/ui/[A-Za-z0-9._/-]{0,300}") ? path : "/ui/";
    // Reads that name no secret (the status board of a prefix) join the first secret's record.
    Optional<String> firstSecret = page.stream().flatMap(e -> e.secret().stream()).findFirst();
    Map<Optional<String>, List<AuditEvent>> bySecret = new LinkedHashMap<>();
    for (AuditEvent e : page) {
      bySecret
          .computeIfAbsent(
              e.secret().isPresent() ? e.secret() : firstSecret, k -> new ArrayList<>())
          .add(e);
    }
    List<AuditEvent> records = new ArrayList<>();
    bySecret.forEach((secret, reads) -> {
      AuditEvent first = reads.get(0);
      String actions = String.join(",", reads.stream().map(AuditEvent::action).distinct().toList());
      String details =
          String.join(
              "; ",
              reads.stream().map(AuditEvent::detail).filter(d -> !d.isEmpty()).distinct().toList());
      records.add(
          new AuditEvent(
              first.time(),
              first.tokenId(),
              first.client(),
              first.action(),
              secret,
              first.version(),
              first.result(),
              "page=" + shown + " reads=" + actions + (details.isEmpty() ? "" : " " + details)));
    });
    return audit.appendAsync(records);
  }

  /** Completes once {@code outcome}'s audit records are durable (at once when none are left). */
  private CompletableFuture<Void> audited(Outcome outcome) {
    return outcome.committed || outcome.events.isEmpty()
        ? CompletableFuture.<Void>completedFuture(null)
        : audit.appendAsync(outcome.events);
  }

  /** When the audit records could not be written, the answer is a 503 instead (invariant 6). */
  private static void refuseUnaudited(Outcome outcome, Throwable failure) {
    if (failure != null) {
      log.error(
          "audit append failed; refusing {} with 503: {}",
          outcome.action,
          SafeFailure.describe(failure));
      HttpError error = HttpError.unavailable();
      outcome.status = error.status();
      outcome.body = error.body();
    }
  }

  /** What one request produced: status, body, and the audit action it was recorded under. */
  private static final class Outcome {
    final String requestId;
    String action = UNKNOWN;
    int status = 200;
    Object body;
    String allow;
    long retryAfter;
    List<AuditEvent> events = List.of();
    boolean committed;

    Outcome(String requestId) {
      this.requestId = requestId;
    }

    /** {@code detail} with this request's id at its end. */
    String detail(String detail) {
      return (detail.isEmpty() ? "" : detail + " ") + "request=" + requestId;
    }
  }

  /** How a request's caller is established: its Authorization header, or a dashboard session. */
  interface Credential {
    /**
     * @throws KeyturnException.Unauthenticated when it names no valid token
     */
    Caller authenticate();
  }

  /** What an in-process call answered: the status and the route's response record or error. */
  record Answer(int status, Object body) {}

  /**
   * Serves one API request in-process, for the dashboard: exactly as if {@code request}'s client
   * had sent {@code method path?query} with {@code body} and the token {@code credential} names,
   * through the same throttle, route table, {@link Authorizer} and audit records. Completes once
   * its audit records are durable (a 503 answer when they cannot be written). Routes that answer
   * with a stream are not served this way.
   */
  CompletableFuture<Answer> call(
      Request request,
      String method,
      String path,
      String query,
      byte[] body,
      Credential credential) {
    return call(request, method, path, query, body, credential, null);
  }

  /**
   * The reads a dashboard page may record together ({@link #auditPage}): lists, metadata, rules,
   * rotations, the status board and the audit log, never a read of a value (a reveal, a keyring).
   */
  private static final Set<String> PAGE_READS =
      Set.of(
          "token.self",
          "token.list",
          "secret.list",
          "secret.describe",
          "secret.history",
          "rule.show",
          "rotation.list",
          "rotation.show",
          "status.read",
          "audit.read",
          "audit.head",
          "audit.verify");

  /**
   * As above, for one of the reads a dashboard page is made of: a GET of a {@link #PAGE_READS}
   * route answered 2xx whose only record is its request's own (nothing changed) is not written but
   * added to {@code page}, and the page's reads are written as one record by {@link #auditPage}
   * before the page is answered, as a CLI command that shows the same writes one. Refusals,
   * failures, value reads and changes are written as they happen, as for any request.
   */
  CompletableFuture<Answer> call(
      Request request,
      String method,
      String path,
      String query,
      byte[] body,
      Credential credential,
      List<AuditEvent> page) {
    long start = System.nanoTime();
    Request inner = new InProcessRequest(request, method, path, query, body);
    String requestId = RequestIds.of(inner);
    Outcome outcome = serve(inner, path, method, requestId, credential);
    if (outcome.body instanceof Streamed stream) {
      stream.abandon();
      throw new IllegalStateException(outcome.action + " answers with a stream");
    }
    if (page != null
        && method.equals("GET")
        && PAGE_READS.contains(outcome.action)
        && outcome.status < 400
        && !outcome.committed
        && outcome.events.size() == 1) {
      page.add(outcome.events.get(0));
      outcome.events = List.of();
    }
    return audited(outcome)
        .handle((done, failure) -> {
          refuseUnaudited(outcome, failure);
          long elapsed = System.nanoTime() - start;
          metrics.request(outcome.action, outcome.status, elapsed);
          // The access log has the dashboard's requests too, under their own request ids (those
          // their audit records end with); this may run on the group commit's thread.
          String outer = MDC.get(RequestIds.MDC_KEY);
          MDC.put(RequestIds.MDC_KEY, requestId);
          access.info(
              "{} {} {}",
              kv("action", outcome.action),
              kv("status", outcome.status),
              kv("duration_ms", elapsed / 1_000_000));
          if (outer == null) {
            MDC.remove(RequestIds.MDC_KEY);
          } else {
            MDC.put(RequestIds.MDC_KEY, outer);
          }
          return new Answer(outcome.status, outcome.body);
        });
  }

  private Outcome serve(
      Request request, String path, String method, String requestId, Credential credential) {
    Outcome outcome = new Outcome(requestId);
    String client = proxies.client(request);
    Caller caller = null;
    Exchange exchange = null;
    Optional<SecretName> name = Optional.empty();
    boolean tokenless = false;
    try {
      Route route;
      try {
        route = match(path, method);
      } catch (HttpError.ApiException e) {
        // A path that is no route costs the client a failure, as a bad token does.
        refuseIfThrottled(client, outcome);
        throttle.failure(client);
        throw e;
      }
      outcome.action = route.action();
      String tail = route.match(path);
      if (route.tail() == Route.Tail.NAME) {
        // Recorded even when the request is refused before the name is checked; a name that is
        // not canonical is never recorded (it could be anything a client sent).
        name = SecretName.parse(tail);
      }
      boolean needsToken = route.access().kind() != Access.Kind.NO_TOKEN;
      tokenless = !needsToken;
      if (needsToken) {
        refuseIfThrottled(client, outcome);
      }
      if (needsToken) {
        try {
          caller = credential.authenticate();
        } catch (KeyturnException.Unauthenticated e) {
          throttle.failure(client);
          throw e;
        }
      }
      if (route.tail() == Route.Tail.NAME && name.isEmpty() && needsToken) {
        // A tokenless route answers every name it cannot serve alike, invalid ones included.
        name(tail);
      }
      exchange = new Exchange(request, caller, name, tail);
      exchange.client = client;
      // The route's declaration decides access, here and nowhere else (DESIGN invariant 10).
      Optional<SecretName> subject = Authorizer.authorize(route.access(), exchange);
      if (name.isEmpty()) {
        name = subject;
      }
      // A change commits its records while the handler runs, before any error is known.
      Caller identified = caller;
      Optional<SecretName> named = name;
      exchange.recorder = ex -> events(outcome, identified, client, named, ex);
      outcome.body = route.handler().handle(exchange);
    } catch (Throwable e) {
      HttpError error = HttpError.of(e);
      if (error.status() >= 500) {
        log.error("{} {} failed: {}", method, outcome.action, error.message(), SafeFailure.of(e));
      }
      outcome.status = error.status();
      outcome.body = error.body();
      if (e instanceof HttpError.MethodNotAllowed m) {
        outcome.allow = m.allow;
      }
    }
    outcome.committed = exchange != null && exchange.committed() && outcome.status < 400;
    if (tokenless) {
      // A tokenless route (GET /v1/jwks/) reveals nothing secret and reads or changes nothing a
      // caller owns, like health and metrics: a record per fetch would let anyone fill the audit
      // log. Its requests are counted in the metrics by action and status.
      return outcome;
    }
    outcome.events = events(outcome, caller, client, name, exchange);
    if (outcome.status == 429 || outcome.action.equals(UNKNOWN)) {
      // Refusals a client can repeat for nothing are counted, not each written.
      outcome.events = refusals.admit(outcome.events);
    }
    return outcome;
  }

  /**
   * Whether the route of the table for {@code method path} lets {@code caller} call it, as {@link
   * Authorizer#permits} judges it: on the name in the path, or for a route without one on {@code
   * about} (a list's rows about that secret); with {@code elevated}, also holding the route's
   * elevated capability.
   */
  boolean permits(
      String method, String path, Optional<SecretName> about, Caller caller, boolean elevated) {
    for (Route route : routes) {
      String tail = route.match(path);
      if (tail != null && route.method().equals(method)) {
        return Authorizer.permits(
            route.access(),
            caller,
            route.tail() == Route.Tail.NAME ? SecretName.parse(tail) : about,
            elevated);
      }
    }
    return false;
  }

  private void refuseIfThrottled(String client, Outcome outcome) {
    if (throttle.blocked(client)) {
      metrics.throttled();
      outcome.retryAfter = throttle.retryAfterSeconds(client);
      throw new HttpError.ApiException(
          429,
          ErrorCodes.TOO_MANY_REQUESTS,
          "too many failed authentications or unknown paths from this address; try again later");
    }
  }

  private Route match(String path, String method) {
    Set<String> allowed = new LinkedHashSet<>();
    for (Route route : routes) {
      if (route.match(path) != null) {
        if (route.method().equals(method)) {
          return route;
        }
        allowed.add(route.method());
      }
    }
    if (!allowed.isEmpty()) {
      throw new HttpError.MethodNotAllowed(String.join(", ", allowed));
    }
    throw HttpError.notFound();
  }

  private List<AuditEvent> events(
      Outcome outcome, Caller caller, String client, Optional<SecretName> name, Exchange exchange) {
    String tokenId = caller == null ? "-" : caller.tokenId();
    Optional<String> secret = name.map(SecretName::value);
    String result = outcome.status < 400 ? "ok" : ((ErrorResponse) outcome.body).error().code();
    List<AuditEvent> events = new ArrayList<>();
    events.add(
        new AuditEvent(
            clock.instant(),
            tokenId,
            client,
            outcome.action,
            secret,
            exchange == null ? Optional.empty() : exchange.version,
            result,
            outcome.detail(exchange == null || outcome.status >= 400 ? "" : exchange.detail)));
    if (exchange != null && outcome.status < 400) {
      for (StageChange change : exchange.changes) {
        events.add(
            new AuditEvent(
                clock.instant(),
                tokenId,
                client,
                change.from().isEmpty() ? "version.create" : "version.stage",
                secret,
                Optional.of(change.version()),
                "ok",
                outcome.detail(
                    change.from().map(f -> f.wireName() + "->").orElse("")
                        + change.to().wireName())));
      }
      for (Exchange.Read read : exchange.reads) {
        events.add(
            new AuditEvent(
                clock.instant(),
                tokenId,
                client,
                "secret.read",
                Optional.of(read.name().value()),
                Optional.of(read.version()),
                "ok",
                outcome.detail(read.detail())));
      }
    }
    return events;
  }

  /** Throws 400 {@code invalid_name}, naming what is wrong with {@code raw}. */
  private static void name(String raw) {
    try {
      SecretName.of(raw);
    } catch (KeyturnException.InvalidInput e) {
      throw new HttpError.ApiException(400, ErrorCodes.INVALID_NAME, e.getMessage());
    }
  }

  private static byte[] json(Object body) {
    return WireJson.mapper().writeValueAsBytes(body);
  }

  private static void send(
      Response response, Callback callback, int status, byte[] body, String type) {
    send(response, callback, status, body, type, "no-store");
  }

  private static void send(
      Response response,
      Callback callback,
      int status,
      byte[] body,
      String type,
      String cacheControl) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, cacheControl);
    response.write(true, ByteBuffer.wrap(body), callback);
  }
}
