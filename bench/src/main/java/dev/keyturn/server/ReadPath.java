package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.Caller;
import dev.keyturn.core.Capability;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server's read of a secret's current value, {@code GET /v1/secrets/NAME}, as one call that
 * knows nothing of HTTP, for {@link HttpReadBench} to put behind each HTTP server it compares: the
 * server's own {@link AuthThrottle}, {@link Authenticator} (token hash, cached callers), {@link
 * Authorizer} judgement of the read route's declaration ({@code read} on the path's name), {@link
 * SecretService} over the {@link ReadCache} (AES-GCM open of the cached ciphertext), one {@code
 * secret.read} audit record per request, refused ones included, appended to the store's group
 * commit, and the JSON answer, which completes only once its record is durable (a 503 when it could
 * not be written). What {@link ApiHandler} adds around this (its route table walk, the request's
 * MDC, the access-log line, metrics by action) is left out: the bench compares HTTP servers, and
 * {@code bench/read.sh} measures the whole server beside it. Serves the current version only (the
 * route's {@code ?version=} and {@code ?stage=} are not read).
 */
final class ReadPath {
  static final String PREFIX = "/v1/secrets/";
  private static final Access READ = Access.needs(Capability.READ, new Access.Subject.PathName());

  /** An answer: status and JSON body. */
  record Answer(int status, byte[] json) {}

  private final Authenticator authenticator;
  private final AuthThrottle throttle;
  private final SecretService service;
  private final AuditLog audit;
  private final Clock clock;
  private final JsonMapper json = WireJson.mapper();
  private final LongAdder durable = new LongAdder();

  ReadPath(
      Authenticator authenticator,
      AuthThrottle throttle,
      SecretService service,
      AuditLog audit,
      Clock clock) {
    this.authenticator = requireNonNull(authenticator, "authenticator");
    this.throttle = requireNonNull(throttle, "throttle");
    this.service = requireNonNull(service, "service");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
  }

  /** How many answers went out after their audit record was durable. */
  long durable() {
    return durable.sum();
  }

  /**
   * Serves {@code GET rawPath} (its query ignored) with the request's {@code Authorization} header
   * values, from {@code client}, under {@code requestId}. Completes on the audit writer's thread
   * (or at once for an answer that failed before any record could be made, never for a read).
   */
  CompletableFuture<Answer> read(
      String rawPath, List<String> authorization, String client, String requestId) {
    int query = rawPath.indexOf('?');
    String path = query < 0 ? rawPath : rawPath.substring(0, query);
    Optional<SecretName> name = Optional.empty();
    String tokenId = "-";
    Optional<Integer> version = Optional.empty();
    int status;
    Object body;
    try {
      if (!path.startsWith(PREFIX)) {
        throttle.failure(client);
        throw HttpError.notFound();
      }
      String tail = path.substring(PREFIX.length());
      name = SecretName.parse(tail);
      refuseIfThrottled(client);
      if (authorization.size() > 1) {
        throw HttpError.badRequest("the request has more than one Authorization header");
      }
      Caller caller;
      try {
        caller = authenticator.authenticate(authorization.stream().findFirst());
      } catch (KeyturnException.Unauthenticated e) {
        throttle.failure(client);
        throw e;
      }
      tokenId = caller.tokenId();
      if (name.isEmpty()) {
        try {
          SecretName.of(tail);
        } catch (KeyturnException.InvalidInput e) {
          throw new HttpError.ApiException(400, ErrorCodes.INVALID_NAME, e.getMessage());
        }
      }
      if (!Authorizer.permits(READ, caller, name, false)) {
        throw new KeyturnException.Forbidden(
            "token " + caller.tokenId() + " lacks read on " + name.get().value());
      }
      SecretValue value = service.read(name.get(), Selector.current(), false);
      try {
        Version v = value.version();
        version = Optional.of(v.number());
        body =
            new SecretValueResponse(
                name.get().value(),
                v.number(),
                v.stage().wireName(),
                valueNode(value),
                v.createdAt().toString());
        status = 200;
      } finally {
        value.plaintext().destroy();
      }
    } catch (RuntimeException e) {
      HttpError error = HttpError.of(e);
      status = error.status();
      body = error.body();
    }
    String result = status < 400 ? "ok" : ((ErrorResponse) body).error().code();
    AuditEvent record =
        new AuditEvent(
            clock.instant(),
            tokenId,
            client,
            "secret.read",
            name.map(SecretName::value),
            version,
            result,
            "request=" + requestId);
    int answered = status;
    Object answer = body;
    return audit
        .appendAsync(List.of(record))
        .handle((done, failure) -> {
          if (failure != null) {
            HttpError error = HttpError.unavailable();
            return new Answer(error.status(), json.writeValueAsBytes(error.body()));
          }
          durable.increment();
          return new Answer(answered, json.writeValueAsBytes(answer));
        });
  }

  private void refuseIfThrottled(String client) {
    if (throttle.blocked(client)) {
      throw new HttpError.ApiException(
          429,
          ErrorCodes.TOO_MANY_REQUESTS,
          "too many failed authentications or unknown paths from this address; try again later");
    }
  }

  private JsonNode valueNode(SecretValue value) {
    byte[] bytes = value.plaintext().reveal();
    if (value.version().type() == ValueType.JSON) {
      return json.readTree(bytes);
    }
    return json.getNodeFactory().stringNode(new String(bytes, StandardCharsets.UTF_8));
  }
}
