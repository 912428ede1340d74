package dev.keyturn.client.internal;

import dev.keyturn.api.VersionEvent;
import dev.keyturn.client.KeyturnClientException;
import java.time.Duration;

/**
 * What a {@link Watch} reports. Calls come from the watch's one thread, one at a time and in stream
 * order; a call that throws ends the watch ({@link Watch#await} rethrows it). Events never carry a
 * value: re-read what changed (for example with {@link WireClient#bundle}).
 */
public interface WatchListener {
  /** A version of a followed secret was created or moved to another stage. */
  void version(String id, VersionEvent event);

  /**
   * Re-read everything followed: the server could not replay what this watch missed (its {@code
   * Last-Event-ID} was older than what the server keeps, or unknown, or the server lost track of
   * other nodes' changes). Events after {@code id} follow.
   */
  void reset(String id);

  /**
   * The stream dropped and is open again. Events missed meanwhile follow (the server replays the
   * last 24 hours), or a {@link #reset} when it cannot; a caller that must not rely on that may
   * re-read everything here.
   */
  default void reconnected() {}

  /** The server has sent what this watch missed; what follows is live. */
  default void ready() {}

  /**
   * The stream dropped or could not be opened; the watch tries again after {@code retryIn}. Errors
   * that retrying cannot fix (401, 403, 400, 404) end the watch instead.
   */
  default void disconnected(KeyturnClientException cause, Duration retryIn) {}
}
