package dev.keyturn.core;

import dev.keyturn.core.spi.RotationStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps this node's claims on rotations while their steps run, renewing each when half of it is
 * gone (as the {@link RotationEngine} does between steps): a step may outlast a claim (a {@code
 * reencrypt} sweep of a large table, in one transaction when atomic), and a claim that ran out
 * would let another node run the same step at the same time.
 *
 * <p>One thread looks at every claim held, once a {@code poll}, and runs only while some step holds
 * one: a thread of its own for each step (started, interrupted and joined around a step that takes
 * a millisecond) cost more CPU than the rest of the step's bookkeeping. A renewal that is due runs
 * on a virtual thread of its own, so that one that blocks (a row lock held by a stuck node, a
 * connection that hangs) holds up only its own claim, never the others.
 *
 * <p>Thread-safe.
 */
final class ClaimKeepers {
  private final RotationStore store;
  private final Clock clock;
  private final String node;
  private final Duration claim;
  private final Duration poll;
  private final Set<Held> held = ConcurrentHashMap.newKeySet();

  /** Whether the thread runs, or is about to. */
  private final AtomicBoolean running = new AtomicBoolean();

  ClaimKeepers(RotationStore store, Clock clock, String node, Duration claim, Duration poll) {
    this.store = store;
    this.clock = clock;
    this.node = node;
    this.claim = claim;
    this.poll = poll;
  }

  /**
   * Keeps the claim on rotation {@code id}, taken or last renewed at {@code claimed}, until closed.
   */
  Held keep(String id, Instant claimed) {
    Held kept = new Held(id, claimed);
    held.add(kept);
    if (running.compareAndSet(false, true)) {
      Thread.ofVirtual().name("rotation-claims-" + node).start(this::run);
    }
    return kept;
  }

  private void run() {
    while (true) {
      try {
        Thread.sleep(poll);
      } catch (InterruptedException e) {
        // Nobody interrupts it; should someone, the next keep starts another.
        running.set(false);
        return;
      }
      for (Held kept : held) {
        kept.renewInTurn();
      }
      if (held.isEmpty()) {
        running.set(false);
        // A keep between the look and the flag found it running and started none: carry on.
        if (held.isEmpty() || !running.compareAndSet(false, true)) {
          return;
        }
      }
    }
  }

  /** One claim kept; closing it stops the renewals, waiting for one under way. */
  final class Held implements AutoCloseable {
    private final String id;
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicBoolean renewing = new AtomicBoolean();
    private volatile Instant claimed;
    private volatile boolean closed;

    private Held(String id, Instant claimed) {
      this.id = id;
      this.claimed = claimed;
    }

    private boolean due(Instant now) {
      return now.isAfter(claimed.plus(claim.dividedBy(2)));
    }

    /** Starts a renewal on a thread of its own if one is due and none is under way. */
    private void renewInTurn() {
      if (closed || !due(clock.instant()) || !renewing.compareAndSet(false, true)) {
        return;
      }
      Thread.ofVirtual()
          .name("rotation-claim-" + id)
          .start(() -> {
            try {
              renewIfDue();
            } finally {
              renewing.set(false);
            }
          });
    }

    private void renewIfDue() {
      lock.lock();
      try {
        Instant now = clock.instant();
        if (closed || !due(now)) {
          return;
        }
        try {
          if (store.claim(id, node, now, now.plus(claim))) {
            claimed = now;
          }
        } catch (RuntimeException e) {
          // The store is down for now: try again at the next poll.
        }
      } finally {
        lock.unlock();
      }
    }

    /** When the claim was last taken or renewed. */
    Instant claimed() {
      return claimed;
    }

    /** After it returns, no renewal runs: the caller may give the claim up. */
    @Override
    public void close() {
      lock.lock();
      try {
        closed = true;
      } finally {
        lock.unlock();
      }
      held.remove(this);
    }
  }
}
