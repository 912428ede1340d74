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
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The root key shares submitted to a sealed server, until some {@code threshold} of them rebuild a
 * key whose id the store records (through a share-held key's rotation, the old or the new one).
 * Every new share is tried with every {@code threshold - 1} of the others held, so junk shares sent
 * by anyone cannot keep the server sealed; shares are held only as zeroable bytes and every one is
 * zeroed once the key is found.
 *
 * <p>The work is bounded. Each submission tries at most {@link #MAX_TRIES} combinations (about 0.3
 * ms of CPU each: at most a tenth of a second per submission), because the room holds at most
 * {@link #capacity} shares, one address at most {@link #perClientHeld}; submissions are throttled
 * per address ({@link #PER_CLIENT_PER_MINUTE}) and for all addresses together ({@link
 * #ALL_PER_MINUTE}), so that churning through addresses resets nothing. The combinations are tried
 * on copies, one search at a time, outside the lock that guards the shares held, so status answers
 * and refusals never wait for a search.
 *
 * <p>When a new share finds the room full, the oldest share of the addresses that hold the most is
 * dropped, never the new share itself: so a flood from one address, or from fewer addresses than
 * the room has places, pushes out its own junk, not the shares custodians sent minutes or hours
 * before. (Dropping the oldest share of all let one address at the throttle's pace empty the room
 * of real shares in a minute or two, for K = 5 and more.) Among addresses holding one share each,
 * the oldest goes: dropping the newest instead would let junk sent once from many addresses push
 * out every custodian's share in turn as the next one arrives, and keep the server sealed for good;
 * the oldest-first rule needs a flood from many addresses kept up, at {@link #ALL_PER_MINUTE}, to
 * push out a share (for K = 3, within about 13 s). Thread-safe.
 */
final class Unsealer {
  static final int PER_CLIENT_PER_MINUTE = 20;

  /** Submissions a minute from every address together: what address churn cannot get around. */
  static final int ALL_PER_MINUTE = 120;

  /** Combinations tried for one new share at most: C(capacity - 1, threshold - 1). */
  static final long MAX_TRIES = 300;

  private static final int ROOT_KEY_SHARE_BITS = 8 * 44;
  private static final Duration WINDOW = Duration.ofMinutes(1);

  /** A share held, with the address that sent it. */
  private static final class Held {
    private final Shamir.Share share;
    private final String client;

    Held(Shamir.Share share, String client) {
      this.share = share;
      this.client = client;
    }

    Shamir.Share share() {
      return share;
    }

    String client() {
      return client;
    }
  }

  /** Where unsealing stands, for the answer to a submission and for health. */
  record Progress(boolean sealed, int held, int threshold) {}

  /** Too many submissions from one client address, or from all: 429. */
  static final class Throttled extends KeyturnException {
    Throttled(String message) {
      super(message);
    }
  }

  private final int threshold;
  private final List<String> keyIds;
  private final Clock clock;
  private final int capacity;
  private final Object lock = new Object();
  private final ReentrantLock search = new ReentrantLock();
  private final Deque<Held> held = new ArrayDeque<>();
  private final Map<String, Deque<Instant>> recent = new HashMap<>();
  private final Deque<Instant> all = new ArrayDeque<>();
  private final CompletableFuture<RootKey> opened = new CompletableFuture<>();

  Unsealer(int threshold, String keyId, Clock clock) {
    this(threshold, List.of(keyId), clock);
  }

  /** Opens for shares that rebuild any of the keys {@code keyIds}. */
  Unsealer(int threshold, List<String> keyIds, Clock clock) {
    if (threshold < 2 || threshold > Shamir.MAX_SHARES) {
      throw new KeyturnException.InvalidInput("--unseal-shares is 2 to " + Shamir.MAX_SHARES);
    }
    this.threshold = threshold;
    this.keyIds = List.copyOf(keyIds);
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

  /** The most shares one address holds: a custodian's retries, or one operator typing them all. */
  int perClientHeld() {
    return Math.min(capacity, 2 * threshold);
  }

  private static long combinations(int n, int k) {
    // C(n, k) = C(n, n - k); for k <= n / 2 the partial products C(n, i) only grow, so stopping
    // early at MAX_TRIES is right.
    k = Math.min(k, n - k);
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

  List<String> keyIds() {
    return keyIds;
  }

  /** Whether a search of combinations runs now (for tests). */
  boolean searching() {
    return search.isLocked();
  }

  /** Completes with the root key once some {@code threshold} shares rebuild it. */
  CompletableFuture<RootKey> opened() {
    return opened;
  }

  Progress progress() {
    synchronized (lock) {
      return new Progress(!opened.isDone(), held.size(), threshold);
    }
  }

  /** As {@link #submit(String, Shamir.Share)}, parsing {@code text} first (for tests). */
  Progress submit(String client, CharSequence text) {
    return submit(client, Shamir.Share.parse(text));
  }

  /**
   * Takes one share from {@code client}; this object owns (and destroys) {@code share} from now on.
   *
   * @throws KeyturnException.InvalidInput for a share of another size than a root key's
   * @throws Throttled when {@code client}, or all addresses together, sent too many this minute
   */
  Progress submit(String client, Shamir.Share share) {
    Shamir.Share probe;
    List<Shamir.Share> others;
    synchronized (lock) {
      if (opened.isDone()) {
        share.destroy();
        return progress();
      }
      try {
        throttle(client);
      } catch (Throttled e) {
        share.destroy();
        throw e;
      }
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
      Held added = new Held(share, client);
      held.addLast(added);
      dropOwnOldest(added);
      if (held.size() > capacity) {
        dropOne(added);
      }
      if (held.size() < threshold) {
        return progress();
      }
      probe = share.copy();
      others = new ArrayList<>(held.size());
      for (Held h : held) {
        if (h != added) {
          others.add(h.share().copy());
        }
      }
    }
    RootKey found = null;
    search.lock();
    try {
      if (!opened.isDone()) {
        found = tryWith(probe, others);
      }
    } finally {
      search.unlock();
      probe.destroy();
      others.forEach(Shamir.Share::destroy);
    }
    if (found != null) {
      synchronized (lock) {
        held.forEach(h -> h.share().destroy());
        held.clear();
        recent.clear();
        if (!opened.complete(found)) {
          found.destroy();
        }
      }
    }
    return progress();
  }

  /** Drops {@code added}'s address's oldest share while that address holds too many. */
  private void dropOwnOldest(Held added) {
    int count = 0;
    for (Held h : held) {
      if (h.client().equals(added.client())) {
        count++;
      }
    }
    for (Iterator<Held> it = held.iterator(); count > perClientHeld() && it.hasNext(); ) {
      Held h = it.next();
      if (h != added && h.client().equals(added.client())) {
        it.remove();
        h.share().destroy();
        count--;
      }
    }
  }

  /** Drops the oldest share of the addresses holding the most shares, never {@code added}. */
  private void dropOne(Held added) {
    Map<String, Integer> count = new HashMap<>();
    for (Held h : held) {
      count.merge(h.client(), 1, Integer::sum);
    }
    Held victim = null;
    for (Held h : held) {
      // Oldest first: a later share replaces the victim only for an address holding more.
      if (h != added && (victim == null || count.get(h.client()) > count.get(victim.client()))) {
        victim = h;
      }
    }
    if (victim != null) {
      held.remove(victim);
      victim.share().destroy();
    }
  }

  /**
   * Tries every {@code threshold - 1} of {@code others} together with {@code share}: at most {@link
   * #MAX_TRIES} combinations, since {@code others} has fewer than {@link #capacity} shares.
   */
  private RootKey tryWith(Shamir.Share share, List<Shamir.Share> others) {
    int[] pick = new int[threshold - 1];
    for (int i = 0; i < pick.length; i++) {
      pick[i] = i;
    }
    long tries = 0;
    while (tries++ < MAX_TRIES) {
      List<Shamir.Share> subset = new ArrayList<>(threshold);
      subset.add(share);
      for (int i : pick) {
        subset.add(others.get(i));
      }
      if (distinctIndexes(subset)) {
        try {
          RootKey key = RootKey.fromParsedShares(subset);
          if (keyIds.contains(key.id())) {
            return key;
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
        return null;
      }
      pick[i]++;
      for (int j = i + 1; j < pick.length; j++) {
        pick[j] = pick[j - 1] + 1;
      }
    }
    return null;
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
    Instant since = now.minus(WINDOW);
    expire(all, since);
    if (all.size() >= ALL_PER_MINUTE) {
      throw new Throttled("too many shares from all addresses this minute; wait a minute");
    }
    // Addresses whose minute is over are forgotten; the rest are at most ALL_PER_MINUTE.
    recent.values().removeIf(times -> expire(times, since));
    Deque<Instant> times = recent.computeIfAbsent(client, c -> new ArrayDeque<>());
    if (times.size() >= PER_CLIENT_PER_MINUTE) {
      throw new Throttled("too many shares from this address; wait a minute");
    }
    times.addLast(now);
    all.addLast(now);
  }

  /** Drops the times before {@code since}; true when none is left. */
  private static boolean expire(Deque<Instant> times, Instant since) {
    while (!times.isEmpty() && times.peekFirst().isBefore(since)) {
      times.removeFirst();
    }
    return times.isEmpty();
  }
}
