package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Tokens;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The dashboard's sign-in sessions, in this node's memory. A session is opened with a token that
 * was pasted once; the browser holds a random session id (256 bits) in a cookie, and this keeps,
 * under the SHA-256 of that id, only the SHA-256 of the token (never the token), the token's id and
 * a random CSRF token bound to the session. A session ends after {@link #IDLE} without a request,
 * {@link #ABSOLUTE} after it was opened, at sign-out, when its token is no longer valid (every
 * request authenticates the token's hash again), and when its token opens more than {@link
 * #MAX_PER_TOKEN} sessions (the oldest ends). Thread-safe.
 */
final class UiSessions {
  static final Duration IDLE = Duration.ofMinutes(30);
  static final Duration ABSOLUTE = Duration.ofHours(12);
  private static final int MAX_SESSIONS = 10_000;

  /** Sessions one token holds at most: its next sign-in ends its oldest. */
  static final int MAX_PER_TOKEN = 20;

  private final Clock clock;
  private final SecureRandom random;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();

  /** How many sessions were opened: each session's serial, which orders them oldest first. */
  private final AtomicLong opened = new AtomicLong();

  UiSessions(Clock clock, SecureRandom random) {
    this.clock = requireNonNull(clock, "clock");
    this.random = requireNonNull(random, "random");
  }

  /**
   * One signed-in browser: the hash of its token, the token's id, and the CSRF token its forms
   * carry. Holds no token.
   */
  static final class Session {
    private final String key;
    final byte[] tokenHash;
    final String tokenId;
    final String csrf;
    final Instant opened;
    private final long serial;
    private volatile Instant lastSeen;

    private Session(
        String key, byte[] tokenHash, String tokenId, String csrf, Instant opened, long serial) {
      this.key = key;
      this.serial = serial;
      this.tokenHash = tokenHash.clone();
      this.tokenId = tokenId;
      this.csrf = csrf;
      this.opened = opened;
      this.lastSeen = opened;
    }

    /** Whether {@code sent} is this session's CSRF token (compared in constant time). */
    boolean csrfMatches(String sent) {
      return sent != null
          && MessageDigest.isEqual(
              csrf.getBytes(java.nio.charset.StandardCharsets.UTF_8),
              sent.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return "Session[token=" + tokenId + "]";
    }
  }

  /** Opens a session for the token hashing to {@code tokenHash}; returns the id for the cookie. */
  String open(byte[] tokenHash, String tokenId) {
    Instant now = clock.instant();
    // A token's sign-ins push out its own oldest sessions: without this, any valid token could
    // sign in MAX_SESSIONS times and end everyone else's sessions below.
    List<Session> own =
        sessions.values().stream()
            .filter(s -> s.tokenId.equals(tokenId))
            .sorted(Comparator.comparingLong((Session s) -> s.serial))
            .toList();
    for (int i = 0; i <= own.size() - MAX_PER_TOKEN; i++) {
      sessions.remove(own.get(i).key);
    }
    if (sessions.size() >= MAX_SESSIONS) {
      sessions.values().removeIf(s -> expired(s, now));
      if (sessions.size() >= MAX_SESSIONS) {
        // The oldest sessions give way: a flood of sign-ins cannot grow memory without bound.
        sessions.values().stream()
            .min(Comparator.comparingLong(s -> s.serial))
            .ifPresent(s -> sessions.remove(s.key));
      }
    }
    String id = randomText();
    String key = key(id);
    long serial = opened.incrementAndGet();
    sessions.put(key, new Session(key, tokenHash, tokenId, randomText(), now, serial));
    return id;
  }

  /** The live session with cookie value {@code id}, which this request keeps alive. */
  Optional<Session> find(String id) {
    if (id == null || id.isEmpty() || id.length() > 100) {
      return Optional.empty();
    }
    Session session = sessions.get(key(id));
    if (session == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    if (expired(session, now)) {
      sessions.remove(session.key);
      return Optional.empty();
    }
    session.lastSeen = now;
    return Optional.of(session);
  }

  /** Ends {@code session} (sign-out, or its token is no longer valid). */
  void end(Session session) {
    sessions.remove(session.key);
  }

  /** How many sessions are held (expired ones included until they are looked up or pruned). */
  int size() {
    return sessions.size();
  }

  private static boolean expired(Session s, Instant now) {
    return !s.lastSeen.plus(IDLE).isAfter(now) || !s.opened.plus(ABSOLUTE).isAfter(now);
  }

  private String randomText() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String key(String id) {
    return HexFormat.of().formatHex(Tokens.hash(id));
  }
}
