package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down token guessing: once a client address has had {@code limit} failed authentications
 * (401) within {@code window}, its next request, and every request for {@code lockout} after it, is
 * refused with 429 before any token is looked up. Other refusals (400, 403, 413) do not count.
 * Thread-safe; memory is bounded by forgetting quiet addresses.
 */
final class AuthThrottle {
  private static final int MAX_TRACKED = 100_000;

  private final int limit;
  private final Duration window;
  private final Duration lockout;
  private final Clock clock;
  private final Map<String, Client> clients = new ConcurrentHashMap<>();

  AuthThrottle(int limit, Duration window, Duration lockout, Clock clock) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1");
    }
    this.limit = limit;
    this.window = requireNonNull(window, "window");
    this.lockout = requireNonNull(lockout, "lockout");
    this.clock = requireNonNull(clock, "clock");
  }

  /** True if {@code address} must be refused now; starts the lockout when the limit is reached. */
  boolean blocked(String address) {
    Client client = clients.get(address);
    if (client == null) {
      return false;
    }
    Instant now = clock.instant();
    synchronized (client) {
      if (client.blockedUntil.isAfter(now)) {
        return true;
      }
      client.prune(now.minus(window));
      if (client.failures.size() >= limit) {
        client.blockedUntil = now.plus(lockout);
        client.failures.clear();
        return true;
      }
      return false;
    }
  }

  /** Seconds until {@code address} may try again (for Retry-After). */
  long retryAfterSeconds(String address) {
    Client client = clients.get(address);
    if (client == null) {
      return 0;
    }
    synchronized (client) {
      return Math.max(1, Duration.between(clock.instant(), client.blockedUntil).toSeconds() + 1);
    }
  }

  /** Records a failed authentication from {@code address}. */
  void failure(String address) {
    if (clients.size() >= MAX_TRACKED) {
      forgetQuiet();
    }
    Client client = clients.computeIfAbsent(address, a -> new Client());
    Instant now = clock.instant();
    synchronized (client) {
      client.prune(now.minus(window));
      client.failures.addLast(now);
    }
  }

  private void forgetQuiet() {
    Instant now = clock.instant();
    clients
        .entrySet()
        .removeIf(e -> {
          synchronized (e.getValue()) {
            e.getValue().prune(now.minus(window));
            return e.getValue().failures.isEmpty() && !e.getValue().blockedUntil.isAfter(now);
          }
        });
  }

  private static final class Client {
    final ArrayDeque<Instant> failures = new ArrayDeque<>();
    Instant blockedUntil = Instant.EPOCH;

    void prune(Instant oldest) {
      while (!failures.isEmpty() && failures.peekFirst().isBefore(oldest)) {
        failures.removeFirst();
      }
    }
  }
}
