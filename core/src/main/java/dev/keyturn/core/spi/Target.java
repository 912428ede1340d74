package dev.keyturn.core.spi;

/**
 * Where a rotated value is applied and tested: nothing (a key that apps read), a command, a
 * webhook, a database, an SMTP login. Every method must be idempotent: after a crash or a failure
 * the engine calls it again with the same value. Failures are {@link
 * dev.keyturn.core.KeyturnException.TargetFailure}s whose messages never hold a value.
 */
public interface Target {

  /** Applies the pending value where it must be applied. */
  void set(TargetContext context);

  /** Checks that the pending value works where it was applied. */
  void test(TargetContext context);

  /**
   * Whether {@link #test} really tells if the target holds the pending value. A retried {@code set}
   * is skipped only when a test that can tell says the value is already there.
   */
  default boolean canTell(TargetContext context) {
    return true;
  }

  /** Puts the current value back where the strategy allows (the rotation is being abandoned). */
  void rollback(TargetContext context);
}
