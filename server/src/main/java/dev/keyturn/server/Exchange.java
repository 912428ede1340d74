package dev.keyturn.server;

import dev.keyturn.core.Caller;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.VersionSet.StageChange;
import dev.keyturn.core.spi.AuditEvent;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/**
 * One API request as a route handler sees it: the caller, the secret name or id from the path, the
 * query, the body, and what the handler reports for the audit record (the version it touched, the
 * stage changes it made, a short detail). Not thread-safe: one per request.
 */
final class Exchange {
  static final int MAX_BODY = 1024 * 1024;

  private final Request request;
  private final Fields query;
  final Caller caller;
  private final Optional<SecretName> name;
  private final String pathTail;

  /** Set by {@link Authorizer}: which rows a list route may show. */
  Predicate<String> visible =
      name -> {
        throw new IllegalStateException("this route does not filter rows");
      };

  /**
   * Set by {@link Authorizer} for a list route: whether the caller holds any grant at all on a name
   * (a route may count rows it does not show only where this holds, so that a token learns nothing
   * of names it holds no grant on).
   */
  Predicate<String> granted =
      name -> {
        throw new IllegalStateException("this route does not filter rows");
      };

  /**
   * Set by {@link Authorizer} for a list route: whether the caller holds the route's capability on
   * every name, so that it may also see rows that name no secret (a token's, the server's own).
   */
  boolean everyRow;

  /**
   * Set by {@link Authorizer} for a list route whose caller does not hold the capability on every
   * name: the name patterns of its grants that may show rows, for a store query to narrow by (rows
   * are still checked with {@link #visible}).
   */
  java.util.List<String> rowPatterns = java.util.List.of();

  /** The client's address as the audit records it; set by {@link ApiHandler}. */
  String client = "-";

  /** Set by {@link Authorizer}: whether the caller holds the route's elevated capability. */
  boolean elevated;

  private byte[] body;

  Optional<Integer> version = Optional.empty();
  List<StageChange> changes = new ArrayList<>();
  String detail = "";

  /** Secrets read besides the path's (a bundle's): each gets its own {@code secret.read} record. */
  List<Read> reads = new ArrayList<>();

  /** One version a route read and returned, with its audit record's detail. */
  record Read(SecretName name, int version, String detail) {}

  /** Builds this request's audit records as they stand; set by the handler that serves it. */
  Function<Exchange, List<AuditEvent>> recorder = ex -> List.of();

  private boolean committed;

  Exchange(Request request, Caller caller, Optional<SecretName> name, String pathTail) {
    this.request = request;
    this.query = Request.extractQueryParameters(request);
    this.caller = caller;
    this.name = name;
    this.pathTail = pathTail;
  }

  /**
   * The request's one {@code Authorization} header, if any.
   *
   * @throws HttpError.ApiException 400 when it is given more than once: which one a proxy or a
   *     cache would act on is unclear, so neither is.
   */
  static Optional<String> authorization(Request request) {
    List<String> values = request.getHeaders().getValuesList(HttpHeader.AUTHORIZATION);
    if (values.size() > 1) {
      throw HttpError.badRequest("the request has more than one Authorization header");
    }
    return values.stream().findFirst();
  }

  /**
   * This request's audit records (the request record, then one per version created or moved), for a
   * route to append in the unit of work that makes its change, so that the change and its records
   * commit together or not at all (DESIGN invariant 9). Set {@link #version}, {@link #changes} and
   * {@link #detail} first. Once that unit has committed, the answer needs no other audit append.
   */
  List<AuditEvent> changeRecords() {
    committed = true;
    return recorder.apply(this);
  }

  /**
   * Says that this request is not audited although it succeeded: a consumer's heartbeat that
   * changed nothing but the time (issue 18: registrations and departures are audited, heartbeats
   * are not). A refused or failed request is audited all the same.
   */
  void unaudited() {
    committed = true;
  }

  /** True once a route took {@link #changeRecords} into its change's unit of work. */
  boolean committed() {
    return committed;
  }

  SecretName name() {
    return name.orElseThrow();
  }

  /** The request itself, for a route that answers with a stream. */
  Request request() {
    return request;
  }

  /** The path after the route's prefix, for routes keyed by id (tokens). */
  String pathTail() {
    return pathTail;
  }

  /** Whether a list route may show a row about the secret {@code name}. */
  boolean visible(SecretName name) {
    return visible.test(name.value());
  }

  /** The request's header {@code name}, if given (the last one when given more than once). */
  Optional<String> header(String name) {
    List<String> values = request.getHeaders().getValuesList(name);
    return values.isEmpty() ? Optional.empty() : Optional.of(values.get(values.size() - 1));
  }

  Optional<String> query(String key) {
    return Optional.ofNullable(query.getValue(key));
  }

  boolean flag(String key) {
    String value = query.getValue(key);
    if (value == null || value.equals("false")) {
      return false;
    }
    if (value.equals("true")) {
      return true;
    }
    throw HttpError.badRequest(key + " must be true or false");
  }

  <T> T body(Class<T> type) {
    return optionalBody(type)
        .orElseThrow(() -> HttpError.badRequest("the request needs a JSON body"));
  }

  /** The body, or empty when the request has none. It may be asked for more than once. */
  <T> Optional<T> optionalBody(Class<T> type) {
    if (body == null) {
      body = readBody();
    }
    if (body.length == 0) {
      return Optional.empty();
    }
    return Optional.of(JsonBody.parse(body, type));
  }

  /**
   * The body parsed by {@code parser}, read once (at most {@code limit} bytes) and parsed once
   * however often it is asked for (an access requirement and the handler share it). The raw bytes
   * are zeroed after parsing: they may hold values.
   */
  <T> T parsedBody(long limit, Class<T> type, Function<byte[], T> parser) {
    if (parsed == null) {
      byte[] raw = readBody(limit);
      try {
        parsed = parser.apply(raw);
      } finally {
        java.util.Arrays.fill(raw, (byte) 0);
      }
    }
    return type.cast(parsed);
  }

  private Object parsed;

  /**
   * The body parsed by {@code parser} as it arrives, never held whole: at most {@code limit} bytes
   * are read (past it the read fails with 413), and the parse happens once however often it is
   * asked for (an access requirement and the handler share it). A parser that throws stops the read
   * there, so a refusal does not wait for the rest of the body.
   */
  <T> T streamedBody(long limit, Class<T> type, Function<InputStream, T> parser) {
    if (parsed == null) {
      if (request.getLength() > limit) {
        throw HttpError.tooLarge(limit);
      }
      InputStream in = Request.asInputStream(request);
      parsed =
          parser.apply(
              new java.io.FilterInputStream(in) {
                private long read;

                @Override
                public int read() throws IOException {
                  byte[] one = new byte[1];
                  return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                  int n = super.read(b, off, len);
                  if (n > 0 && (read += n) > limit) {
                    throw HttpError.tooLarge(limit);
                  }
                  return n;
                }
              });
    }
    return type.cast(parsed);
  }

  private byte[] readBody() {
    return readBody(MAX_BODY);
  }

  private byte[] readBody(long limit) {
    if (request.getLength() > limit) {
      throw HttpError.tooLarge(limit);
    }
    try {
      InputStream in = Request.asInputStream(request);
      byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (body.length > limit) {
        throw HttpError.tooLarge(limit);
      }
      return body;
    } catch (IOException e) {
      throw HttpError.badRequest("the request body could not be read");
    }
  }
}
