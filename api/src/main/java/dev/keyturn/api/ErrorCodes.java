package dev.keyturn.api;

/** The error codes of the wire, with their HTTP statuses; docs/api.md lists them for people. */
public final class ErrorCodes {
  /** 400: malformed JSON, a bad field, a bad generator spec or duration. */
  public static final String INVALID_REQUEST = "invalid_request";

  /** 400: a value a hygiene check refuses (a placeholder); {@code check} names the check. */
  public static final String PLACEHOLDER_VALUE = "placeholder_value";

  /** 400: a secret name that is not canonical. */
  public static final String INVALID_NAME = "invalid_name";

  /** 401: no token, or an unknown, expired or revoked one. */
  public static final String UNAUTHENTICATED = "unauthenticated";

  /** 403: the token lacks the capability. */
  public static final String FORBIDDEN = "forbidden";

  /** 404: no such secret, version or route. */
  public static final String NOT_FOUND = "not_found";

  /** 405: the route exists but not with this method. */
  public static final String METHOD_NOT_ALLOWED = "method_not_allowed";

  /** 409: the request contradicts the secret's state (a stage move not allowed). */
  public static final String CONFLICT = "conflict";

  /**
   * 409: a compare-and-set write ({@code cas} on {@code PUT /v1/secrets/{name}}) found another
   * version current than the one it named; nothing was written.
   */
  public static final String CAS_MISMATCH = "cas_mismatch";

  /** 413: the request body is larger than 1 MiB. */
  public static final String PAYLOAD_TOO_LARGE = "payload_too_large";

  /** 429: too many failed authentications from this address; wait and retry. */
  public static final String TOO_MANY_REQUESTS = "too_many_requests";

  /** 500: a stored ciphertext did not authenticate, or another internal fault. */
  public static final String INTERNAL = "internal";

  /**
   * 500: stored data failed an integrity check (a row changed or put back outside Keyturn); nothing
   * was served, and the failure is logged and audited as {@code integrity.fail}.
   */
  public static final String INTEGRITY = "integrity";

  /** 503: the store or the audit log is unavailable; nothing was served. */
  public static final String UNAVAILABLE = "unavailable";

  private ErrorCodes() {}

  /**
   * 503: the server started sealed ({@code --unseal-shares}) and has no root key yet; only health
   * and {@code POST /v1/unseal} answer until enough root key shares are submitted.
   */
  public static final String SEALED = "sealed";
}
