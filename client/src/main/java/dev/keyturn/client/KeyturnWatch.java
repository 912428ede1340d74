package dev.keyturn.client;

/**
 * A running watch of change events ({@link KeyturnClient#watch}); it reconnects by itself, with
 * back-off, until closed or until an error retrying cannot fix. Thread-safe.
 */
public interface KeyturnWatch extends AutoCloseable {
  /** Whether it still runs (not closed, not failed). */
  boolean isOpen();

  /**
   * Waits until the watch ends.
   *
   * @throws KeyturnClientException what ended it (a 401, 403, 400 or 404, or what a listener
   *     threw); nothing when it was closed
   */
  void await() throws InterruptedException;

  /** Stops it; no listener call starts after this returns. */
  @Override
  void close();
}
