package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code GET /v1/watch?prefix=P}: a Server-Sent Events stream of {@code version} events for the
 * secrets at or below {@code P} that the token may list or read ({@link Authorizer} filters the
 * rows), never a value. {@code Last-Event-ID} (or {@code ?last_event_id=}, for clients that cannot
 * set headers) replays what was missed in the last 24 hours, or sends {@code reset}. The stream
 * does not count against {@code --max-requests-per-client}; {@code --max-streams} bounds them all.
 */
final class WatchApi {
  /** How long a stream may stay silent: a few heartbeats, whatever {@code --idle-timeout} says. */
  static final Duration IDLE = WatchHub.HEARTBEAT.multipliedBy(3);

  private final WatchHub hub;

  WatchApi(WatchHub hub) {
    this.hub = requireNonNull(hub, "hub");
  }

  Streamed watch(Exchange ex) {
    String folder = BundlesApi.folder(ex.query("prefix").orElse(""));
    Optional<String> lastEventId = ex.header("Last-Event-ID").or(() -> ex.query("last_event_id"));
    String authorization =
        Exchange.authorization(ex.request()).orElseThrow(); // authenticated, so present
    Predicate<String> visible = ex.visible;
    ex.detail = "prefix=" + folder + lastEventId.map(id -> " last_event_id").orElse("");
    hub.reserve();
    AtomicBoolean released = new AtomicBoolean();
    Runnable giveBack =
        () -> {
          if (released.compareAndSet(false, true)) {
            hub.release();
          }
        };
    return new Streamed() {
      @Override
      public void start(Request request, Response response, Callback callback) {
        if (request.getAttribute(ClientLimit.RELEASE) instanceof Runnable release) {
          release.run();
        }
        request
            .getConnectionMetaData()
            .getConnection()
            .getEndPoint()
            .setIdleTimeout(IDLE.toMillis());
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put("X-Accel-Buffering", "no");
        // The connection ends with the stream: an idle kept-alive connection left behind would
        // hold a stopping server until its stop timeout.
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        EventStream[] holder = new EventStream[1];
        EventStream stream =
            new EventStream(
                response,
                callback,
                folder,
                visible,
                authorization,
                () -> {
                  giveBack.run();
                  hub.detach(holder[0]);
                });
        holder[0] = stream;
        hub.attach(stream, lastEventId);
      }

      @Override
      public void abandon() {
        giveBack.run();
      }
    };
  }
}
