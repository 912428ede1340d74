package dev.keyturn.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A stable machine-readable {@code code} (see docs/api.md) and a message for people; a 409 for a
 * rotation in progress also names it in {@code rotation_id}; a value refused by a hygiene check
 * names the check's id in {@code check} (docs/doctor.md).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorBody(String code, String message, String rotationId, String check) {
  public ErrorBody(String code, String message) {
    this(code, message, null, null);
  }

  public ErrorBody(String code, String message, String rotationId) {
    this(code, message, rotationId, null);
  }
}
