package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.SealResponse;
import dev.keyturn.api.WireJson;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/seal} ({@code admin:*}): drops the root key and every key unwrapped with it from
 * the server's memory and seals it. The request is audited like any other before the seal starts
 * (its record is durable when {@link Streamed#start} runs); the seal runs on a thread of its own,
 * since it closes the audit log whose completion may be the calling thread, and the answer leaves
 * once the keys are zeroed.
 */
final class SealApi {
  private static final Logger log = LoggerFactory.getLogger(SealApi.class);

  /** What seals the server: stops the API, zeroes the keys, and says how it opens again. */
  interface Sealer {
    SealResponse seal();
  }

  private final Sealer sealer;

  SealApi(Sealer sealer) {
    this.sealer = requireNonNull(sealer, "sealer");
  }

  Streamed seal(Exchange ex) {
    return new Streamed() {
      @Override
      public void start(Request request, Response response, Callback callback) {
        Thread.ofPlatform()
            .name("keyturn-seal")
            .start(() -> {
              int status = 200;
              byte[] body;
              try {
                body = WireJson.mapper().writeValueAsBytes(sealer.seal());
              } catch (RuntimeException e) {
                log.error("seal failed: {}", SafeFailure.describe(e));
                status = 503;
                body =
                    WireJson.mapper()
                        .writeValueAsBytes(
                            ErrorResponse.of(ErrorCodes.UNAVAILABLE, "the seal did not complete"));
              }
              response.setStatus(status);
              response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
              response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
              response.write(true, ByteBuffer.wrap(body), callback);
            });
      }

      @Override
      public void abandon() {}
    };
  }
}
