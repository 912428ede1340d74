package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.HealthResponse;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.StageRequest;
import dev.keyturn.api.WireJson;
import dev.keyturn.core.Caller;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.KeyturnVersion;
import dev.keyturn.core.SecretName;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Routes {@code /v1/...} requests. Secret names are taken from the raw request path, before any
 * decoding or normalization, and must already be canonical ({@link SecretName}); so {@code ..},
 * {@code %2e} or {@code //} never reach a secret by another spelling. Bodies are capped at 1 MiB.
 * Every error is a JSON body with a code ({@link HttpError} maps exceptions in one place).
 */
final class ApiHandler extends Handler.Abstract {
  static final int MAX_BODY = 1024 * 1024;
  private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
  private static final String V1 = "/v1/";

  private final SecretsApi secrets;
  private final Authenticator authenticator;
  private final JsonMapper json = WireJson.mapper();

  ApiHandler(SecretsApi secrets, Authenticator authenticator) {
    this.secrets = requireNonNull(secrets, "secrets");
    this.authenticator = requireNonNull(authenticator, "authenticator");
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int status = 200;
    Object body;
    try {
      body = route(request);
    } catch (Throwable e) {
      HttpError error = HttpError.of(e);
      if (error.status() >= 500) {
        log.error(
            "{} {} failed: {}",
            request.getMethod(),
            request.getHttpURI().getPath(),
            error.message(),
            e);
      }
      status = error.status();
      body = ErrorResponse.of(error.code(), error.message());
      if (e instanceof MethodNotAllowed m) {
        response.getHeaders().put(HttpHeader.ALLOW, m.allow);
      }
    }
    send(response, callback, status, body);
    return true;
  }

  private Object route(Request request) throws IOException {
    String path = request.getHttpURI().getPath();
    if (path == null || !path.startsWith(V1)) {
      throw notFound(path);
    }
    String rest = path.substring(V1.length());
    int slash = rest.indexOf('/');
    String resource = slash < 0 ? rest : rest.substring(0, slash);
    String method = request.getMethod();
    if (slash < 0) {
      switch (resource) {
        case "health" -> {
          allow(method, "GET");
          return new HealthResponse("ok", KeyturnVersion.get());
        }
        case "whoami" -> {
          allow(method, "GET");
          Caller caller = authenticate(request);
          return secrets.whoami(caller);
        }
        case "secrets" -> {
          allow(method, "GET");
          Caller caller = authenticate(request);
          Fields query = Request.extractQueryParameters(request);
          return secrets.list(
              caller,
              Optional.ofNullable(query.getValue("prefix")).orElse(""),
              Optional.ofNullable(query.getValue("page_token")),
              Optional.ofNullable(query.getValue("limit")));
        }
        default -> throw notFound(path);
      }
    }
    if (!List.of("secrets", "keyrings", "versions", "metadata", "stages").contains(resource)) {
      throw notFound(path);
    }
    Caller caller = authenticate(request);
    SecretName name = name(rest.substring(slash + 1));
    Fields query = Request.extractQueryParameters(request);
    return switch (resource) {
      case "secrets" ->
          switch (method) {
            case "GET" ->
                secrets.read(
                    caller,
                    name,
                    Optional.ofNullable(query.getValue("version")),
                    Optional.ofNullable(query.getValue("stage")));
            case "PUT" -> secrets.put(caller, name, parse(request, PutSecretRequest.class));
            case "DELETE" -> secrets.delete(caller, name, flag(query, "destroy"));
            default -> throw new MethodNotAllowed("GET, PUT, DELETE");
          };
      case "keyrings" -> {
        allow(method, "GET");
        yield secrets.keyring(caller, name);
      }
      case "versions" -> {
        allow(method, "GET");
        yield secrets.history(caller, name);
      }
      case "metadata" -> {
        allow(method, "GET");
        yield secrets.describe(caller, name);
      }
      default -> {
        allow(method, "POST");
        yield secrets.stage(caller, name, parse(request, StageRequest.class));
      }
    };
  }

  private Caller authenticate(Request request) {
    return authenticator.authenticate(
        Optional.ofNullable(request.getHeaders().get(HttpHeader.AUTHORIZATION)));
  }

  private static SecretName name(String raw) {
    try {
      return SecretName.of(raw);
    } catch (KeyturnException.InvalidInput e) {
      throw new HttpError.ApiException(400, ErrorCodes.INVALID_NAME, e.getMessage());
    }
  }

  private <T> T parse(Request request, Class<T> type) throws IOException {
    byte[] body = readBody(request);
    if (body.length == 0) {
      throw HttpError.badRequest("the request needs a JSON body");
    }
    try {
      return json.readValue(body, type);
    } catch (UnrecognizedPropertyException e) {
      // The unknown name is not echoed either: a mistyped body may carry a secret as a key.
      List<String> known = e.getKnownPropertyIds().stream().map(Object::toString).sorted().toList();
      throw HttpError.badRequest("unknown field; this route takes " + String.join(", ", known));
    } catch (JacksonException e) {
      // Never echo Jackson's message: it can quote the input, and the input may be a secret.
      String field = e.getPath().isEmpty() ? "" : " at field '" + e.getPathReference() + "'";
      throw HttpError.badRequest("the body is not valid JSON for this route" + field);
    }
  }

  private static byte[] readBody(Request request) throws IOException {
    long declared = request.getLength();
    if (declared > MAX_BODY) {
      throw tooLarge();
    }
    InputStream in = Request.asInputStream(request);
    byte[] body = in.readNBytes(MAX_BODY + 1);
    if (body.length > MAX_BODY) {
      throw tooLarge();
    }
    return body;
  }

  private static boolean flag(Fields query, String name) {
    String value = query.getValue(name);
    if (value == null || value.equals("false")) {
      return false;
    }
    if (value.equals("true")) {
      return true;
    }
    throw HttpError.badRequest(name + " must be true or false");
  }

  private static void allow(String method, String allowed) {
    if (!method.equals(allowed)) {
      throw new MethodNotAllowed(allowed);
    }
  }

  private static HttpError.ApiException tooLarge() {
    return new HttpError.ApiException(
        413, ErrorCodes.PAYLOAD_TOO_LARGE, "the request body is larger than 1 MiB");
  }

  private static HttpError.ApiException notFound(String path) {
    return new HttpError.ApiException(404, ErrorCodes.NOT_FOUND, "no route for this path");
  }

  private void send(Response response, Callback callback, int status, Object body) {
    byte[] bytes = json.writeValueAsBytes(body);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  /** 405, with the methods the route takes. */
  static final class MethodNotAllowed extends HttpError.ApiException {
    final String allow;

    MethodNotAllowed(String allow) {
      super(405, ErrorCodes.METHOD_NOT_ALLOWED, "this route takes " + allow);
      this.allow = allow;
    }
  }
}
