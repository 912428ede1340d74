package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.crypto.Shamir;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The root key shares submitted to a sealed server, until some {@code threshold} of them rebuild
 * the key whose id the store records. Every new share is tried with every {@code threshold - 1} of
 * the others held, so junk shares sent by anyone cannot keep the server sealed; shares are held
 * only as zeroable bytes, at most {@link #capacity} of them, each client address may submit {@link
 * #PER_CLIENT_PER_MINUTE} a minute, and every share is zeroed once the key is found.
 *
 * <p>When a new share finds the room full, a share is dropped from the address that holds the most
 * (of those, the one that sent last), its oldest, never the new share itself: so a flood from one
 * address, or from fewer addresses than the room has places, pushes out its own junk, not the
 * shares custodians sent minutes or hours before. (Dropping the oldest share of all let one address
 * at the throttle's pace empty the room of real shares in a minute or two, for K = 5 and more, and
 * so keep the server sealed.) Thread-safe.
 */
final class Unsealer {
  static final int PER_CLIENT_PER_MINUTE = 20;

  /** Combinations tried for one new share at most: C(capacity - 1, threshold - 1). */
  private static final long MAX_TRIES = 5_000;

  private static final int ROOT_KEY_SHARE_BITS = 8 * 44;
  private static final int MAX_CLIENTS = 10_000;

  /** A share held, with the address that sent it and when (a submission count). */
  private record Held(Shamir.Share share, String client, long at) {}

  /** Where unsealing stands, for the answer to a submission and for health. */
  record Progress(boolean sealed, int held, int threshold) {}

  /** Too many submissions from one client address: 429. */
  static final class Throttled extends KeyturnException {
    Throttled() {
      super("too many shares from this address; wait a minute");
    }
  }

  private final int threshold;
  private final String keyId;
  private final Clock clock;
  private final int capacity;
  private final Deque<Held> held = new ArrayDeque<>();
  private final Map<String, Deque<Instant>> recent = new HashMap<>();
  private long submissions;
  private final CompletableFuture<RootKey> opened = new CompletableFuture<>();

  Unsealer(int threshold, String keyId, Clock clock) {
    if (threshold < 2 || threshold > Shamir.MAX_SHARES) {
      throw new KeyturnException.InvalidInput("--unseal-shares is 2 to " + Shamir.MAX_SHARES);
    }
    this.threshold = threshold;
    this.keyId = requireNonNull(keyId, "keyId");
    this.clock = requireNonNull(clock, "clock");
    this.capacity = capacity(threshold);
  }

  /** The most shares held for {@code threshold}: enough room for junk, bounded work per share. */
  static int capacity(int threshold) {
    int n = threshold;
    while (n < 2 * Shamir.MAX_SHARES && combinations(n, threshold - 1) <= MAX_TRIES) {
      n++;
    }
    return Math.max(threshold, n);
  }

  private static long combinations(int n, int k) {
    long c = 1;
    for (int i = 0; i < k; i++) {
      c = c * (n - i) / (i + 1);
      if (c > MAX_TRIES) {
        return c;
      }
    }
    return c;
  }

  int capacity() {
    return capacity;
  }

  int threshold() {
    return threshold;
  }

  /** Completes with the root key once some {@code threshold} shares rebuild it. */
  CompletableFuture<RootKey> opened() {
    return opened;
  }

  synchronized Progress progress() {
    return new Progress(!opened.isDone(), held.size(), threshold);
  }

  /**
   * Takes one share from {@code client}.
   *
   * @throws KeyturnException.InvalidInput for text that is no root key share (never quoted)
   * @throws Throttled when {@code client} sent too many this minute
   */
  synchronized Progress submit(String client, CharSequence text) {
    if (opened.isDone()) {
      return progress();
    }
    throttle(client);
    Shamir.Share share = Shamir.Share.parse(text);
    if (share.degree() != ROOT_KEY_SHARE_BITS) {
      share.destroy();
      throw new KeyturnException.InvalidInput(
          "a root key share has " + ROOT_KEY_SHARE_BITS / 4 + " hex digits after its index");
    }
    for (Held h : held) {
      if (h.share().sameAs(share)) {
        share.destroy();
        return progress();
      }
    }
    Held added = new Held(share, client, ++submissions);
    held.addLast(added);
    if (held.size() > capacity) {
      dropOne(added);
    }
    if (held.size() >= threshold) {
      tryWith(share);
    }
    return progress();
  }

  /**
   * Drops the oldest share of the address holding the most shares (of those, the one whose latest
   * share came last), never {@code added}.
   */
  private void dropOne(Held added) {
    Map<String, Integer> count = new HashMap<>();
    Map<String, Long> last = new HashMap<>();
    for (Held h : held) {
      count.merge(h.client(), 1, Integer::sum);
      last.merge(h.client(), h.at(), Math::max);
    }
    Held victim = null;
    for (Held h : held) {
      if (h == added) {
        continue;
      }
      if (victim == null || worse(h.client(), victim.client(), count, last)) {
        victim = h; // the first (oldest) share of each address is met first
      }
    }
    if (victim != null) {
      held.remove(victim);
      victim.share().destroy();
    }
  }

  private static boolean worse(
      String a, String b, Map<String, Integer> count, Map<String, Long> last) {
    int c = Integer.compare(count.get(a), count.get(b));
    return c > 0 || c == 0 && last.get(a) > last.get(b);
  }

  /** Tries every {@code threshold - 1} of the other shares held together with {@code share}. */
  private void tryWith(Shamir.Share share) {
    List<Shamir.Share> others = new ArrayList<>(held.size());
    for (Held h : held) {
      if (h.share() != share) {
        others.add(h.share());
      }
    }
    int[] pick = new int[threshold - 1];
    for (int i = 0; i < pick.length; i++) {
      pick[i] = i;
    }
    while (true) {
      List<Shamir.Share> subset = new ArrayList<>(threshold);
      subset.add(share);
      for (int i : pick) {
        subset.add(others.get(i));
      }
      if (distinctIndexes(subset)) {
        try {
          RootKey key = RootKey.fromParsedShares(subset);
          if (key.id().equals(keyId)) {
            held.forEach(h -> h.share().destroy());
            held.clear();
            recent.clear();
            opened.complete(key);
            return;
          }
          key.destroy();
        } catch (KeyturnException.InvalidInput e) {
          // These shares rebuild no key: try the next combination.
        }
      }
      int i = pick.length - 1;
      while (i >= 0 && pick[i] == others.size() - pick.length + i) {
        i--;
      }
      if (i < 0) {
        return;
      }
      pick[i]++;
      for (int j = i + 1; j < pick.length; j++) {
        pick[j] = pick[j - 1] + 1;
      }
    }
  }

  private static boolean distinctIndexes(List<Shamir.Share> shares) {
    for (int i = 0; i < shares.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (shares.get(i).index() == shares.get(j).index()) {
          return false;
        }
      }
    }
    return true;
  }

  private void throttle(String client) {
    Instant now = clock.instant();
    if (recent.size() >= MAX_CLIENTS && !recent.containsKey(client)) {
      recent.clear();
    }
    Deque<Instant> times = recent.computeIfAbsent(client, c -> new ArrayDeque<>());
    while (!times.isEmpty() && times.peekFirst().isBefore(now.minus(Duration.ofMinutes(1)))) {
      times.removeFirst();
    }
    if (times.size() >= PER_CLIENT_PER_MINUTE) {
      throw new Throttled();
    }
    times.addLast(now);
  }
}
