package dev.keyturn.server;

import dev.keyturn.api.ErrorCodes;
import dev.keyturn.core.KeyturnException;

/**
 * The one place where exceptions become HTTP statuses and error codes. Messages of {@link
 * KeyturnException}s name objects and states, never values, so they are passed on; anything else
 * becomes a generic 500 whose details stay in the server log.
 */
record HttpError(int status, String code, String message, String rotationId, String check) {

  HttpError(int status, String code, String message) {
    this(status, code, message, null, null);
  }

  HttpError(int status, String code, String message, String rotationId) {
    this(status, code, message, rotationId, null);
  }

  /** The JSON error body. */
  dev.keyturn.api.ErrorResponse body() {
    return dev.keyturn.api.ErrorResponse.of(code, message, rotationId, check);
  }

  static HttpError of(Throwable e) {
    if (e instanceof ApiException api) {
      return new HttpError(api.status, api.code, api.getMessage());
    }
    if (e instanceof KeyturnException.RotationInProgress r) {
      return new HttpError(409, ErrorCodes.CONFLICT, e.getMessage(), r.rotationId());
    }
    if (e instanceof KeyturnException.CasMismatch) {
      return new HttpError(409, ErrorCodes.CAS_MISMATCH, e.getMessage());
    }
    if (e instanceof KeyturnException.RefusedValue r) {
      return new HttpError(400, ErrorCodes.PLACEHOLDER_VALUE, e.getMessage(), null, r.check());
    }
    if (e instanceof KeyturnException.InvalidInput) {
      return new HttpError(400, ErrorCodes.INVALID_REQUEST, e.getMessage());
    }
    if (e instanceof KeyturnException.Unauthenticated) {
      return new HttpError(401, ErrorCodes.UNAUTHENTICATED, e.getMessage());
    }
    if (e instanceof KeyturnException.Forbidden) {
      return new HttpError(403, ErrorCodes.FORBIDDEN, e.getMessage());
    }
    if (e instanceof KeyturnException.NotFound) {
      return new HttpError(404, ErrorCodes.NOT_FOUND, e.getMessage());
    }
    if (e instanceof KeyturnException.Conflict) {
      return new HttpError(409, ErrorCodes.CONFLICT, e.getMessage());
    }
    if (e instanceof KeyturnException.Unavailable) {
      return unavailable();
    }
    if (e instanceof KeyturnException.IntegrityFailure) {
      return new HttpError(500, ErrorCodes.INTEGRITY, e.getMessage());
    }
    if (e instanceof KeyturnException.CryptoFailure) {
      return new HttpError(500, ErrorCodes.INTERNAL, e.getMessage());
    }
    return new HttpError(500, ErrorCodes.INTERNAL, "internal error; see the server log");
  }

  static HttpError unavailable() {
    return new HttpError(
        503, ErrorCodes.UNAVAILABLE, "the store or the audit log is unavailable; try again");
  }

  /** An error decided by the HTTP layer itself: a status, a code and a message. */
  static class ApiException extends RuntimeException {
    final int status;
    final String code;

    ApiException(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }

  /** 405, with the methods the path takes. */
  static final class MethodNotAllowed extends ApiException {
    final String allow;

    MethodNotAllowed(String allow) {
      super(405, ErrorCodes.METHOD_NOT_ALLOWED, "this route takes " + allow);
      this.allow = allow;
    }
  }

  static ApiException badRequest(String message) {
    return new ApiException(400, ErrorCodes.INVALID_REQUEST, message);
  }

  static ApiException tooLarge() {
    return tooLarge(Exchange.MAX_BODY);
  }

  /** 413: the body (or what it would make the server hold) is larger than {@code limit} bytes. */
  static ApiException tooLarge(long limit) {
    return tooLarge("the request body is larger than " + (limit >> 20) + " MiB");
  }

  static ApiException tooLarge(String message) {
    return new ApiException(413, ErrorCodes.PAYLOAD_TOO_LARGE, message);
  }

  static ApiException notFound() {
    return new ApiException(404, ErrorCodes.NOT_FOUND, "no route for this path");
  }
}
