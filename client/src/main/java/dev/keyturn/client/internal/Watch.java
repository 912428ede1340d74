package dev.keyturn.client.internal;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.VersionEvent;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.KeyturnConnectionException;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A running {@code GET /v1/watch}: one daemon thread reads the event stream and reports to a {@link
 * WatchListener}. When the stream drops (the server restarts, the network fails, 429, 5xx, or 45 s
 * without a byte, three missed heartbeats) it reconnects after a back-off that doubles from 0.5 s
 * to 30 s, with jitter, sending {@code Last-Event-ID} so that the server replays what was missed. A
 * 400, 401, 403 or 404 ends it at once: a revoked or expired token does not reconnect in a loop.
 * Close it to stop. Thread-safe.
 */
public final class Watch implements AutoCloseable {
  static final Duration FIRST_BACK_OFF = Duration.ofMillis(500);
  static final Duration MAX_BACK_OFF = Duration.ofSeconds(30);
  static final Duration IDLE = Duration.ofSeconds(45);
  private static final Object END = new Object();
  private static final int MAX_ERROR_BODY = 64 * 1024;

  private final HttpClient http;
  private final JsonMapper json;
  private final URI uri;
  private final Optional<String> token;
  private final Duration timeout;
  private final WatchListener listener;
  private final Thread thread;
  private final CountDownLatch ended = new CountDownLatch(1);
  private volatile boolean closed;
  private volatile Flow.Subscription current;
  private volatile RuntimeException failure;
  private volatile String lastEventId;

  Watch(
      HttpClient http,
      JsonMapper json,
      URI uri,
      Optional<String> token,
      Duration timeout,
      Optional<String> lastEventId,
      WatchListener listener) {
    this.http = requireNonNull(http, "http");
    this.json = requireNonNull(json, "json");
    this.uri = requireNonNull(uri, "uri");
    this.token = requireNonNull(token, "token");
    this.timeout = requireNonNull(timeout, "timeout");
    this.lastEventId = requireNonNull(lastEventId, "lastEventId").orElse(null);
    this.listener = requireNonNull(listener, "listener");
    this.thread = new Thread(this::run, "keyturn-watch");
    this.thread.setDaemon(true);
  }

  Watch start() {
    thread.start();
    return this;
  }

  /** The id of the last event received (to resume from in another process), if any. */
  public Optional<String> lastEventId() {
    return Optional.ofNullable(lastEventId);
  }

  /** Whether the watch still runs (it has not been closed and has not failed). */
  public boolean isOpen() {
    return ended.getCount() > 0;
  }

  /**
   * Waits until the watch ends.
   *
   * @throws KeyturnClientException what ended it: the server's 401, 403, 400 or 404, or the
   *     exception a listener threw; nothing when it was closed
   */
  public void await() throws InterruptedException {
    ended.await();
    if (failure != null) {
      throw failure;
    }
  }

  /** Stops the watch; no listener call starts after this returns, unless one is running now. */
  @Override
  public void close() {
    closed = true;
    cancel();
    thread.interrupt();
    if (Thread.currentThread() != thread) {
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void run() {
    Duration backOff = FIRST_BACK_OFF;
    boolean connectedBefore = false;
    try {
      while (!closed) {
        KeyturnClientException dropped;
        try {
          boolean reachedReady = stream(connectedBefore);
          connectedBefore = true;
          if (reachedReady) {
            backOff = FIRST_BACK_OFF;
          }
          dropped = new KeyturnConnectionException("the server ended the event stream", null);
        } catch (KeyturnClientException e) {
          if (terminal(e.status())) {
            failure = e;
            return;
          }
          dropped = e;
        }
        if (closed) {
          return;
        }
        Duration wait = jitter(backOff);
        listener.disconnected(dropped, wait);
        Thread.sleep(wait.toMillis());
        backOff =
            backOff.multipliedBy(2).compareTo(MAX_BACK_OFF) > 0
                ? MAX_BACK_OFF
                : backOff.multipliedBy(2);
      }
    } catch (InterruptedException e) {
      // closed
    } catch (RuntimeException e) {
      if (!closed) {
        failure = e;
      }
    } finally {
      cancel();
      ended.countDown();
    }
  }

  private static boolean terminal(int status) {
    return status == 400 || status == 401 || status == 403 || status == 404;
  }

  private static Duration jitter(Duration backOff) {
    long millis = backOff.toMillis();
    return Duration.ofMillis(millis / 2 + ThreadLocalRandom.current().nextLong(millis / 2 + 1));
  }

  /**
   * Opens one stream and reads it until it ends. Returns whether the server said {@code ready}.
   *
   * @throws KeyturnClientException when it cannot be opened or drops
   */
  private boolean stream(boolean reconnecting) throws InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .version(HttpClient.Version.HTTP_1_1)
            .header("Accept", "text/event-stream")
            .GET();
    token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
    String resumeFrom = lastEventId;
    if (resumeFrom != null) {
      request.header("Last-Event-ID", resumeFrom);
    }
    BlockingQueue<Object> items = new LinkedBlockingQueue<>();
    http.sendAsync(
            request.build(),
            info -> {
              items.add(info);
              return HttpResponse.BodySubscribers.fromSubscriber(new Chunks(items));
            })
        .whenComplete((response, error) -> {
          if (error != null) {
            items.add(error);
          }
        });
    Object first = items.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (first == null) {
      cancel();
      throw new KeyturnConnectionException(
          "Keyturn at "
              + uri.getAuthority()
              + " did not answer within "
              + timeout.toSeconds()
              + " s",
          null);
    }
    if (first instanceof Throwable t) {
      throw failed(t);
    }
    int status = ((HttpResponse.ResponseInfo) first).statusCode();
    if (status != 200) {
      throw error(status, body(items));
    }
    if (reconnecting) {
      call(listener::reconnected);
    }
    boolean[] ready = new boolean[1];
    SseParser parser =
        new SseParser(
            new SseParser.Sink() {
              @Override
              public void event(String id, String type, String data) {
                if (closed) {
                  return;
                }
                if ("version".equals(type)) {
                  VersionEvent event;
                  try {
                    event = json.readValue(data, VersionEvent.class);
                  } catch (JacksonException e) {
                    throw new KeyturnClientException(
                        200,
                        "invalid_response",
                        "an event the server sent is not what this" + " client expects");
                  }
                  lastEventId = id;
                  listener.version(id, event);
                } else if ("reset".equals(type)) {
                  lastEventId = id;
                  listener.reset(id);
                }
              }

              @Override
              public void comment(String text) {
                if ("ready".equals(text) && !closed) {
                  ready[0] = true;
                  listener.ready();
                }
              }
            });
    while (true) {
      Object item = items.poll(IDLE.toMillis(), TimeUnit.MILLISECONDS);
      if (item == null) {
        cancel();
        throw new KeyturnConnectionException(
            "the event stream sent nothing for " + IDLE.toSeconds() + " s", null);
      }
      if (item == END) {
        return ready[0];
      }
      if (item instanceof Throwable t) {
        throw failed(t);
      }
      @SuppressWarnings("unchecked")
      List<ByteBuffer> chunk = (List<ByteBuffer>) item;
      try {
        for (ByteBuffer b : chunk) {
          parser.feed(b);
        }
      } catch (IllegalStateException e) {
        cancel();
        throw new KeyturnClientException(200, "invalid_response", e.getMessage());
      }
      Flow.Subscription s = current;
      if (s != null) {
        s.request(1);
      }
    }
  }

  private void call(Runnable r) {
    if (!closed) {
      r.run();
    }
  }

  private byte[] body(BlockingQueue<Object> items) throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (out.size() < MAX_ERROR_BODY) {
      Object item = items.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (item == null || item == END || item instanceof Throwable) {
        break;
      }
      @SuppressWarnings("unchecked")
      List<ByteBuffer> chunk = (List<ByteBuffer>) item;
      for (ByteBuffer b : chunk) {
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        out.write(bytes, 0, bytes.length);
      }
      Flow.Subscription s = current;
      if (s != null) {
        s.request(1);
      }
    }
    cancel();
    return out.toByteArray();
  }

  private static KeyturnClientException error(int status, byte[] body) {
    String code = "http_" + status;
    String message = "HTTP " + status;
    try {
      ErrorResponse error = WireClient.LENIENT.readValue(body, ErrorResponse.class);
      if (error.error() != null) {
        code = error.error().code();
        message = error.error().message();
      }
    } catch (JacksonException e) {
      // not a Keyturn error body (a proxy's page, say): keep the status alone
    }
    return KeyturnClientException.of(status, code, "watch: " + message, null);
  }

  private KeyturnClientException failed(Throwable t) {
    Throwable cause =
        t instanceof java.util.concurrent.CompletionException && t.getCause() != null
            ? t.getCause()
            : t;
    if (cause instanceof ConnectException) {
      return new KeyturnConnectionException(
          "cannot connect to Keyturn at " + uri.getAuthority(), cause);
    }
    return new KeyturnConnectionException(
        "the event stream from Keyturn at " + uri.getAuthority() + " dropped", cause);
  }

  private void cancel() {
    Flow.Subscription s = current;
    if (s != null) {
      s.cancel();
    }
  }

  /** Hands the body's chunks to the watch thread, one at a time. */
  private final class Chunks implements Flow.Subscriber<List<ByteBuffer>> {
    private final BlockingQueue<Object> items;

    Chunks(BlockingQueue<Object> items) {
      this.items = items;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      current = subscription;
      if (closed) {
        subscription.cancel();
        return;
      }
      subscription.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      items.add(item);
    }

    @Override
    public void onError(Throwable error) {
      items.add(error);
    }

    @Override
    public void onComplete() {
      items.add(END);
    }
  }
}
