package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

/**
 * One API route: method, path (a fixed path, or a prefix followed by a secret name or an id), the
 * audit action it records, who may call it ({@link Access}, enforced before the handler runs), and
 * its handler. The route table drives dispatch, authorization, audit actions and {@code
 * /v1/openapi.json}.
 */
record Route(
    String method,
    String path,
    Tail tail,
    String suffix,
    String action,
    Access access,
    String summary,
    Class<?> requestType,
    Class<?> responseType,
    Handler handler) {

  /** What follows {@link #path}: nothing, a secret name, or an id. */
  enum Tail {
    NONE,
    NAME,
    ID
  }

  /** Runs the route; returns the response record. */
  interface Handler {
    Object handle(Exchange exchange);
  }

  Route {
    requireNonNull(method, "method");
    requireNonNull(path, "path");
    requireNonNull(tail, "tail");
    requireNonNull(action, "action");
    requireNonNull(access, "access: every route declares who may call it");
    requireNonNull(handler, "handler");
  }

  /** A route whose path ends with its name or id. */
  Route(
      String method,
      String path,
      Tail tail,
      String action,
      Access access,
      String summary,
      Class<?> requestType,
      Class<?> responseType,
      Handler handler) {
    this(method, path, tail, "", action, access, summary, requestType, responseType, handler);
  }

  /** The path as OpenAPI writes it. */
  String template() {
    return switch (tail) {
      case NONE -> path;
      case NAME -> path + "{name}" + suffix;
      case ID -> path + "{id}" + suffix;
    };
  }

  /**
   * The name or id in {@code rawPath} (between this route's path and its suffix), empty for a fixed
   * path, or null if the route does not match.
   */
  String match(String rawPath) {
    if (tail == Tail.NONE) {
      return rawPath.equals(path) ? "" : null;
    }
    if (!rawPath.startsWith(path)
        || !rawPath.endsWith(suffix)
        || rawPath.length() < path.length() + suffix.length()) {
      return null;
    }
    String middle = rawPath.substring(path.length(), rawPath.length() - suffix.length());
    return tail == Tail.ID && middle.contains("/") ? null : middle;
  }
}
