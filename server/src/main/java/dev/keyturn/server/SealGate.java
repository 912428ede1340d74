package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.HealthResponse;
import dev.keyturn.api.SealStatus;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.KeyturnVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In front of the API: while sealed (from a sealed start until {@link #open}, and from {@link
 * #seal} until the next {@link #open}), {@code GET /v1/health} answers {@code "status": "sealed"},
 * {@code POST /v1/unseal} takes a share ({@link Unsealer}), and every other request gets 503 {@code
 * sealed}. Once open, {@code POST /v1/unseal} says so and every other request goes to the API; the
 * requests in flight are counted, so that {@code seal} can wait for them before it zeroes the keys
 * they use. A server sealed without {@code --unseal-shares} answers {@code POST /v1/unseal} with
 * 409: it opens only by a restart with its root key. Shares are never logged; a submission is
 * logged with its client address and outcome only.
 */
final class SealGate extends Handler.Wrapper {
  private static final Logger log = LoggerFactory.getLogger(SealGate.class);
  static final String UNSEAL = "/v1/unseal";
  private static final int MAX_BODY = 4096;
  private static final int OPENING = 120;

  private final TrustedProxies proxies;
  private final java.util.concurrent.atomic.AtomicInteger inFlight =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile Unsealer unsealer;
  private volatile java.util.concurrent.CompletableFuture<Void> opened =
      new java.util.concurrent.CompletableFuture<>();
  private volatile boolean open;

  /** A gate that is sealed, with no share asked for yet: {@link #seal} or {@link #open} it. */
  SealGate(TrustedProxies proxies) {
    // Dynamic: the API handler is set while the server runs.
    super(true);
    this.proxies = requireNonNull(proxies, "proxies");
  }

  /** Lets every request through to {@code api} from now on. */
  void open(Handler api) {
    setHandler(api);
    open = true;
    opened.complete(null);
  }

  /**
   * Seals: from now on only health and unseal are answered, and {@code unsealer} (none for a server
   * that cannot be unsealed with shares) takes the shares. Requests already let through finish.
   */
  synchronized void seal(java.util.Optional<Unsealer> unsealer) {
    this.unsealer = unsealer.orElse(null);
    this.opened = new java.util.concurrent.CompletableFuture<>();
    open = false;
  }

  /** Drops the API handler (once sealed and drained, so nothing keeps the old API reachable). */
  void forgetApi() {
    if (!open) {
      setHandler((Handler) null);
    }
  }

  /** Tells an unseal waiting for the server to open that it will not open this time. */
  void failOpening(Throwable why) {
    opened.completeExceptionally(why);
  }

  /**
   * Waits until at most {@code allowed} requests let through to the API are still being served, or
   * {@code max} has passed; true when they drained.
   */
  boolean awaitDrained(int allowed, java.time.Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (inFlight.get() > allowed) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String path = request.getHttpURI().getPath();
    if (UNSEAL.equals(path)) {
      if (!request.getMethod().equals("POST")) {
        response.getHeaders().put(HttpHeader.ALLOW, "POST");
        send(response, callback, 405, error(ErrorCodes.METHOD_NOT_ALLOWED, "use POST"));
        return true;
      }
      unseal(request, response, callback);
      return true;
    }
    if (open) {
      return let(request, response, callback);
    }
    if ("/v1/health".equals(path) && request.getMethod().equals("GET")) {
      send(response, callback, 200, json(new HealthResponse("sealed", KeyturnVersion.get())));
      return true;
    }
    send(
        response,
        callback,
        503,
        error(
            ErrorCodes.SEALED,
            "the server is sealed: submit root key shares with 'keyturn unseal'"));
    return true;
  }

  /** Serves a request through the API, counted as in flight until its answer completes. */
  private boolean let(Request request, Response response, Callback callback) throws Exception {
    inFlight.incrementAndGet();
    java.util.concurrent.atomic.AtomicBoolean done =
        new java.util.concurrent.atomic.AtomicBoolean();
    Runnable end =
        () -> {
          if (done.compareAndSet(false, true)) {
            inFlight.decrementAndGet();
          }
        };
    Callback counted =
        new Callback() {
          @Override
          public void succeeded() {
            end.run();
            callback.succeeded();
          }

          @Override
          public void failed(Throwable x) {
            end.run();
            callback.failed(x);
          }

          @Override
          public InvocationType getInvocationType() {
            return callback.getInvocationType();
          }
        };
    boolean handled = false;
    try {
      handled = super.handle(request, response, counted);
      return handled;
    } finally {
      if (!handled) {
        end.run();
      }
    }
  }

  private void unseal(Request request, Response response, Callback callback) {
    String client = proxies.client(request);
    byte[] body = null;
    try {
      Unsealer shares = unsealer;
      java.util.concurrent.CompletableFuture<Void> opening = opened;
      if (open) {
        send(
            response,
            callback,
            200,
            json(new SealStatus(false, 0, shares == null ? 0 : shares.threshold())));
        return;
      }
      if (shares == null) {
        throw new HttpError.ApiException(
            409,
            ErrorCodes.CONFLICT,
            "this server was sealed but was not started with --unseal-shares: restart it with its"
                + " root key to open it");
      }
      body = readBody(request);
      Unsealer.Progress progress = shares.submit(client, share(body));
      if (!progress.sealed()) {
        // Answer once the server is open, so that the next request is served.
        try {
          opening.get(OPENING, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          throw new HttpError.ApiException(
              503, ErrorCodes.UNAVAILABLE, "the root key is rebuilt; the server is still opening");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new HttpError.ApiException(503, ErrorCodes.UNAVAILABLE, "interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
          throw new HttpError.ApiException(503, ErrorCodes.UNAVAILABLE, "the server did not open");
        }
      }
      log.info(
          "unseal share from {}: {} of {} needed held{}",
          client,
          progress.held(),
          progress.threshold(),
          progress.sealed() ? "" : "; the root key is rebuilt");
      send(response, callback, 200, json(status(progress)));
    } catch (Unsealer.Throttled e) {
      log.warn("unseal share from {} refused: too many this minute", client);
      response.getHeaders().put(HttpHeader.RETRY_AFTER, "60");
      send(response, callback, 429, error(ErrorCodes.TOO_MANY_REQUESTS, e.getMessage()));
    } catch (HttpError.ApiException e) {
      send(response, callback, e.status, error(e.code, e.getMessage()));
    } catch (KeyturnException.InvalidInput e) {
      log.info("unseal share from {} refused: not a root key share", client);
      send(response, callback, 400, error(ErrorCodes.INVALID_REQUEST, e.getMessage()));
    } finally {
      if (body != null) {
        Arrays.fill(body, (byte) 0);
      }
    }
  }

  /**
   * The share in a body {@code {"share": "INDEX-HEX"}}, read straight from the bytes (which the
   * caller zeroes): no String, which could not be zeroed, ever holds it. Only that one member, a
   * string of printable ASCII without escapes, and white space around the tokens are accepted.
   *
   * @throws KeyturnException.InvalidInput for any other body (never quoted)
   */
  static dev.keyturn.core.crypto.Shamir.Share share(byte[] body) {
    int[] at = {0};
    skipSpace(body, at);
    expect(body, at, '{');
    skipSpace(body, at);
    for (byte b : "\"share\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII)) {
      expect(body, at, (char) b);
    }
    skipSpace(body, at);
    expect(body, at, ':');
    skipSpace(body, at);
    expect(body, at, '"');
    int start = at[0];
    while (at[0] < body.length && body[at[0]] != '"') {
      byte b = body[at[0]];
      if (b < 0x20 || b > 0x7e || b == '\\') {
        throw notAShare();
      }
      at[0]++;
    }
    int end = at[0];
    expect(body, at, '"');
    skipSpace(body, at);
    expect(body, at, '}');
    skipSpace(body, at);
    if (at[0] != body.length) {
      throw notAShare();
    }
    return dev.keyturn.core.crypto.Shamir.Share.parse(new AsciiView(body, start, end));
  }

  private static void skipSpace(byte[] body, int[] at) {
    while (at[0] < body.length
        && (body[at[0]] == ' '
            || body[at[0]] == '\t'
            || body[at[0]] == '\n'
            || body[at[0]] == '\r')) {
      at[0]++;
    }
  }

  private static void expect(byte[] body, int[] at, char c) {
    if (at[0] >= body.length || body[at[0]] != c) {
      throw notAShare();
    }
    at[0]++;
  }

  private static KeyturnException.InvalidInput notAShare() {
    return new KeyturnException.InvalidInput("the body is {\"share\": \"INDEX-HEX\"}");
  }

  /** ASCII bytes seen as characters, without a copy; {@code toString} never shows them. */
  private static final class AsciiView implements CharSequence {
    private final byte[] bytes;
    private final int start;
    private final int end;

    AsciiView(byte[] bytes, int start, int end) {
      this.bytes = bytes;
      this.start = start;
      this.end = end;
    }

    @Override
    public int length() {
      return end - start;
    }

    @Override
    public char charAt(int index) {
      if (index < 0 || index >= length()) {
        throw new IndexOutOfBoundsException(index);
      }
      return (char) bytes[start + index];
    }

    @Override
    public CharSequence subSequence(int from, int to) {
      if (from < 0 || to > length() || from > to) {
        throw new IndexOutOfBoundsException(from);
      }
      return new AsciiView(bytes, start + from, start + to);
    }

    @Override
    public String toString() {
      return "[share]";
    }
  }

  private static SealStatus status(Unsealer.Progress p) {
    return new SealStatus(p.sealed(), p.held(), p.threshold());
  }

  private static byte[] readBody(Request request) {
    if (request.getLength() > MAX_BODY) {
      throw HttpError.tooLarge();
    }
    try (InputStream in = Request.asInputStream(request)) {
      byte[] body = in.readNBytes(MAX_BODY + 1);
      if (body.length > MAX_BODY) {
        Arrays.fill(body, (byte) 0);
        throw HttpError.tooLarge();
      }
      return body;
    } catch (IOException e) {
      throw HttpError.badRequest("the request body could not be read");
    }
  }

  private static byte[] error(String code, String message) {
    return json(ErrorResponse.of(code, message));
  }

  private static byte[] json(Object body) {
    return WireJson.mapper().writeValueAsBytes(body);
  }

  private static void send(Response response, Callback callback, int status, byte[] body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(body), callback);
  }
}
