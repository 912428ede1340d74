package dev.keyturn.testing;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A target in memory: it holds the last value applied to it, records every call, and fails the next
 * calls of a phase on request. {@code failAfterApplying} models a target that took the value and
 * then lost the answer (the case a retry must detect by testing first). Thread-safe.
 */
public final class FakeTarget implements Target {
  private final List<String> calls = new ArrayList<>();
  private String held;
  private int setFailures;
  private int testFailures;
  private int rollbackFailures;
  private boolean failAfterApplying;

  public FakeTarget(Optional<String> initial) {
    this.held = initial.orElse(null);
  }

  public synchronized FakeTarget failSet(int times, boolean afterApplying) {
    this.setFailures = times;
    this.failAfterApplying = afterApplying;
    return this;
  }

  public synchronized FakeTarget failTest(int times) {
    this.testFailures = times;
    return this;
  }

  public synchronized FakeTarget failRollback(int times) {
    this.rollbackFailures = times;
    return this;
  }

  /** The value the target holds now. */
  public synchronized Optional<String> held() {
    return Optional.ofNullable(held);
  }

  /** Calls so far, e.g. {@code set#2}, {@code test#2}. */
  public synchronized List<String> calls() {
    return List.copyOf(calls);
  }

  @Override
  public synchronized void set(TargetContext context) {
    calls.add("set#" + context.pending().version().number());
    if (setFailures > 0) {
      setFailures--;
      if (failAfterApplying) {
        held = text(context.pending().plaintext().reveal());
      }
      throw new KeyturnException.TargetFailure("fake set refused");
    }
    held = text(context.pending().plaintext().reveal());
  }

  @Override
  public synchronized void test(TargetContext context) {
    calls.add("test#" + context.pending().version().number());
    if (testFailures > 0) {
      testFailures--;
      throw new KeyturnException.TargetFailure("fake test refused");
    }
    if (!text(context.pending().plaintext().reveal()).equals(held)) {
      throw new KeyturnException.TargetFailure("fake target does not hold the pending value");
    }
  }

  @Override
  public synchronized void rollback(TargetContext context) {
    calls.add("rollback");
    if (rollbackFailures > 0) {
      rollbackFailures--;
      throw new KeyturnException.TargetFailure("fake rollback refused");
    }
    held = context.current().map(v -> text(v.plaintext().reveal())).orElse(null);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
