package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.HealthResponse;
import dev.keyturn.api.SealStatus;
import dev.keyturn.api.UnsealRequest;
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
 * In front of the API of a server started sealed: until {@link #open}, {@code GET /v1/health}
 * answers {@code "status": "sealed"}, {@code POST /v1/unseal} takes a share ({@link Unsealer}), and
 * every other request gets 503 {@code sealed}. Once open, {@code POST /v1/unseal} says so and every
 * other request goes to the API. Shares are never logged; a submission is logged with its client
 * address and outcome only.
 */
final class SealGate extends Handler.Wrapper {
  private static final Logger log = LoggerFactory.getLogger(SealGate.class);
  static final String UNSEAL = "/v1/unseal";
  private static final int MAX_BODY = 4096;
  private static final int OPENING = 120;

  private final Unsealer unsealer;
  private final TrustedProxies proxies;
  private final java.util.concurrent.CompletableFuture<Void> opened =
      new java.util.concurrent.CompletableFuture<>();
  private volatile boolean open;

  SealGate(Unsealer unsealer, TrustedProxies proxies) {
    // Dynamic: the API handler is set while the server runs.
    super(true);
    this.unsealer = requireNonNull(unsealer, "unsealer");
    this.proxies = requireNonNull(proxies, "proxies");
  }

  /** Lets every request through to {@code api} from now on. */
  void open(Handler api) {
    setHandler(api);
    open = true;
    opened.complete(null);
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
      return super.handle(request, response, callback);
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

  private void unseal(Request request, Response response, Callback callback) {
    String client = proxies.client(request);
    byte[] body = null;
    try {
      if (open) {
        send(response, callback, 200, json(status(unsealer.progress())));
        return;
      }
      body = readBody(request);
      UnsealRequest parsed = JsonBody.parse(body, UnsealRequest.class);
      if (parsed.share() == null) {
        throw new KeyturnException.InvalidInput("the body is {\"share\": \"INDEX-HEX\"}");
      }
      Unsealer.Progress progress = unsealer.submit(client, parsed.share());
      if (!progress.sealed()) {
        // Answer once the server is open, so that the next request is served.
        try {
          opened.get(OPENING, java.util.concurrent.TimeUnit.SECONDS);
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
