package dev.keyturn.client;

import java.time.Duration;

/**
 * What a {@link KeyturnWatch} reports. Calls come from the watch's one thread, one at a time and in
 * order; a call that throws ends the watch ({@link KeyturnWatch#await} rethrows it).
 */
@FunctionalInterface
public interface ChangeListener {
  /** A version of a followed secret was created or moved to another stage. */
  void changed(SecretChange change);

  /**
   * Re-read everything followed: the server could not replay what this watch missed. Changes after
   * this follow.
   */
  default void reset() {}

  /** The server has sent what this watch missed; what follows is live. */
  default void ready() {}

  /**
   * The stream dropped or could not be opened; the watch tries again after {@code retryIn} (errors
   * that retrying cannot fix, 400, 401, 403 and 404, end the watch instead).
   */
  default void disconnected(KeyturnClientException cause, Duration retryIn) {}
}
