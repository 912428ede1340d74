package dev.keyturn.server;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.api.ErrorResponse;
import dev.keyturn.api.WireJson;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors that Jetty answers before a request reaches {@link ApiHandler} (a malformed request line,
 * headers too large) get the same JSON error body as every other error, and no stack trace.
 */
final class JsonErrorHandler extends ErrorHandler {

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int status,
      String message,
      Throwable cause,
      Callback callback) {
    byte[] body = body(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(HttpHeader.CONTENT_TYPE, "application/json");
    return ByteBuffer.wrap(body(status));
  }

  private static byte[] body(int status) {
    String code =
        switch (status) {
          case 400 -> ErrorCodes.INVALID_REQUEST;
          case 404 -> ErrorCodes.NOT_FOUND;
          case 405 -> ErrorCodes.METHOD_NOT_ALLOWED;
          case 413, 431 -> ErrorCodes.PAYLOAD_TOO_LARGE;
          case 503 -> ErrorCodes.UNAVAILABLE;
          default -> status < 500 ? ErrorCodes.INVALID_REQUEST : ErrorCodes.INTERNAL;
        };
    return WireJson.mapper()
        .writeValueAsBytes(ErrorResponse.of(code, "the HTTP request was refused (" + status + ")"));
  }
}
