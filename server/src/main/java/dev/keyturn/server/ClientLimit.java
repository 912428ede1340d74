package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Bounds the requests one client address has in progress, from the moment its headers are read
 * until its answer is sent, so that one client (slow uploads, a flood) cannot hold the server's
 * threads. The request over the limit is answered 429 {@code too_many_requests} with {@code
 * Retry-After: 1} before any other work, and recorded as {@code request.limited} through {@link
 * RepeatedRefusals}. Thread-safe; memory is one counter per address with requests in progress.
 */
final class ClientLimit extends Handler.Wrapper {
  static final String ACTION = "request.limited";

  /**
   * The request attribute holding a {@link Runnable} that gives the request's place back early: a
   * long-lived stream runs it once it starts, so streams do not count against this limit (they have
   * their own, {@code --max-streams}).
   */
  static final String RELEASE = "keyturn.client-limit.release";

  private final int max;
  private final TrustedProxies proxies;
  private final AuditLog audit;
  private final RepeatedRefusals refusals;
  private final Clock clock;
  private final Map<String, Integer> inProgress = new ConcurrentHashMap<>();

  ClientLimit(
      Handler next,
      int max,
      TrustedProxies proxies,
      AuditLog audit,
      RepeatedRefusals refusals,
      Clock clock) {
    super(next);
    this.max = max;
    this.proxies = requireNonNull(proxies, "proxies");
    this.audit = requireNonNull(audit, "audit");
    this.refusals = requireNonNull(refusals, "refusals");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String client = proxies.client(request);
    if (inProgress.merge(client, 1, Integer::sum) > max) {
      release(client);
      refuse(client, response, callback);
      return true;
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable done =
        () -> {
          if (released.compareAndSet(false, true)) {
            release(client);
          }
        };
    request.setAttribute(RELEASE, done);
    try {
      if (super.handle(request, response, Callback.from(done, callback))) {
        return true;
      }
      done.run();
      return false;
    } catch (Throwable e) {
      done.run();
      throw e;
    }
  }

  /** Requests in progress from {@code client} (for tests). */
  int inProgress(String client) {
    return inProgress.getOrDefault(client, 0);
  }

  private void release(String client) {
    inProgress.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
  }

  private void refuse(String client, Response response, Callback callback) {
    AuditEvent event =
        new AuditEvent(
            clock.instant(),
            "-",
            client,
            ACTION,
            Optional.empty(),
            Optional.empty(),
            ErrorCodes.TOO_MANY_REQUESTS,
            "more than " + max + " requests in progress");
    byte[] body =
        WireJson.mapper()
            .writeValueAsBytes(
                ErrorResponse.of(
                    ErrorCodes.TOO_MANY_REQUESTS,
                    "too many requests in progress from this address; try again shortly"));
    audit
        .appendAsync(refusals.admit(List.of(event)))
        .whenComplete((ok, failure) -> {
          response.setStatus(failure == null ? 429 : 503);
          response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
          response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
          response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
          response.write(
              true,
              ByteBuffer.wrap(
                  failure == null
                      ? body
                      : WireJson.mapper().writeValueAsBytes(HttpError.unavailable().body())),
              callback);
        });
  }
}
