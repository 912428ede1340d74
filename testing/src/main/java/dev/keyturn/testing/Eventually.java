package dev.keyturn.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for something a background thread (scheduler, notifier) does; fails after a limit. */
public final class Eventually {
  private Eventually() {}

  public static void waitFor(Duration limit, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + limit.toSeconds() + " s");
      }
      Thread.sleep(50);
    }
  }
}
