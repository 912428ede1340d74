package dev.keyturn.api;

/** Every error body: {@code {"error": {"code": "...", "message": "..."}}}. */
public record ErrorResponse(ErrorBody error) {
  public static ErrorResponse of(String code, String message) {
    return new ErrorResponse(new ErrorBody(code, message));
  }

  public static ErrorResponse of(String code, String message, String rotationId) {
    return new ErrorResponse(new ErrorBody(code, message, rotationId));
  }

  public static ErrorResponse of(String code, String message, String rotationId, String check) {
    return new ErrorResponse(new ErrorBody(code, message, rotationId, check));
  }
}
