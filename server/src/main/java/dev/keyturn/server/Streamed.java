package dev.keyturn.server;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * A route's answer that is a long-lived stream instead of one JSON body. {@link ApiHandler} calls
 * {@link #start} once the request's audit records are durable, or {@link #abandon} when they could
 * not be written (the request then gets 503 and nothing is streamed).
 */
interface Streamed {
  /** Takes over the response; completes {@code callback} when the stream ends. */
  void start(Request request, Response response, Callback callback);

  /** Gives back what the route reserved for the stream. */
  void abandon();
}
