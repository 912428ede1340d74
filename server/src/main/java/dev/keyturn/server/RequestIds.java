package dev.keyturn.server;

import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Request;

/**
 * Request ids: the one a client sent in {@code X-Request-Id} when it is short and plain (at most
 * {@value #MAX_LENGTH} characters of {@code [A-Za-z0-9._-]}, given once), else a new random one.
 * The id is echoed in the answer's {@code X-Request-Id}, put in the log lines of the request (MDC
 * key {@value #MDC_KEY}) and in its audit records. An id is a correlation label, not a secret and
 * not proof of anything: a client may reuse one.
 */
final class RequestIds {
  static final String HEADER = "X-Request-Id";
  static final String MDC_KEY = "request_id";
  static final int MAX_LENGTH = 64;
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._-]{1," + MAX_LENGTH + "}");

  private RequestIds() {}

  /** The request's id: the client's if it is acceptable, else a new one. */
  static String of(Request request) {
    List<String> sent = request.getHeaders().getValuesList(HEADER);
    if (sent.size() == 1 && SAFE.matcher(sent.get(0)).matches()) {
      return sent.get(0);
    }
    return generate();
  }

  /** 96 random bits in hex (24 characters). */
  static String generate() {
    byte[] bytes = new byte[12];
    ThreadLocalRandom.current().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
