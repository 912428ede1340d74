package dev.keyturn.keyring;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Fernet tokens (https://github.com/fernet/spec) over a secret's keyring with the semantics of
 * Python {@code cryptography}'s {@code MultiFernet}: {@link #encrypt} uses the current version;
 * {@link #decrypt} tries the current version, then the pending one, then previous ones newest
 * first; {@link #rotate} re-encrypts a token under the current version keeping its timestamp. With
 * a time to live, a token older than it, or stamped more than 60 s in the future, is refused, as
 * {@code Fernet.decrypt(token, ttl)} does.
 *
 * <p>Every refusal of a token is {@link KeyringException.InvalidToken} with the message {@code
 * invalid token} only. Immutable and thread-safe; holds key material, which {@code toString} never
 * shows.
 */
public final class FernetKeyring {
  /** How far in the future a token's timestamp may be when a time to live is given. */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(60);

  /** How many IVs one call of the generator draws for a thread (see {@link #iv}). */
  private static final int IVS_PER_DRAW = 64;

  private final String name;
  private final List<Entry> keys;
  private final Clock clock;
  private final SecureRandom random;

  /**
   * The index of the key that opened the last token, tried first by the next (a sweep's tokens are
   * nearly all under one key: trying the current key first would cost every one a MAC computed in
   * vain). Only when no two versions hold the same key, so that the order never decides which
   * version a token is reported under; -1 otherwise. A hint: a stale read only costs a MAC.
   */
  private volatile int lastOpened;

  /** Each thread's IVs, drawn {@link #IVS_PER_DRAW} at a time. */
  private final ThreadLocal<IvPool> ivs = ThreadLocal.withInitial(IvPool::new);

  private record Entry(VersionMatch id, FernetKey key) {}

  private static final class IvPool {
    final byte[] bytes = new byte[16 * IVS_PER_DRAW];
    int used = IVS_PER_DRAW;
  }

  private FernetKeyring(
      String name, List<Entry> keys, Clock clock, SecureRandom random, boolean distinct) {
    this.name = name;
    this.keys = keys;
    this.clock = clock;
    this.random = random;
    this.lastOpened = distinct ? 0 : -1;
  }

  /** {@link #of(String, List, Clock, SecureRandom)} with the system clock and a new generator. */
  public static FernetKeyring of(String name, List<KeyVersion> versions) {
    return of(name, versions, Clock.systemUTC(), new SecureRandom());
  }

  /**
   * The keyring of secret {@code name} over {@code versions} (as the keyring API lists them).
   *
   * @throws KeyringException.InvalidKey naming the first version whose value is not a Fernet key
   * @throws IllegalArgumentException when {@code versions} is empty or has two current versions
   */
  public static FernetKeyring of(
      String name, List<KeyVersion> versions, Clock clock, SecureRandom random) {
    requireNonNull(name, "name");
    requireNonNull(clock, "clock");
    requireNonNull(random, "random");
    Versions.check(name, versions);
    List<Entry> keys = new ArrayList<>();
    boolean distinct = true;
    for (KeyVersion v : Versions.currentFirst(versions)) {
      FernetKey key = FernetKey.parse(v.reveal(), v.label(name));
      for (Entry e : keys) {
        distinct &= !e.key().sameKey(key);
      }
      keys.add(new Entry(new VersionMatch(v.version(), v.stage()), key));
    }
    return new FernetKeyring(name, List.copyOf(keys), clock, random, distinct);
  }

  /** A new Fernet key, as {@code Fernet.generate_key()} makes one. */
  public static String generateKey(SecureRandom random) {
    byte[] key = new byte[32];
    random.nextBytes(key);
    return Base64.getUrlEncoder().encodeToString(key);
  }

  public String name() {
    return name;
  }

  /** A token of {@code plaintext} under the current version, stamped with the clock's second. */
  public String encrypt(byte[] plaintext) {
    requireNonNull(plaintext, "plaintext");
    return current().encrypt(plaintext, clock.instant().getEpochSecond(), iv());
  }

  /** The plaintext of {@code token}, whatever its age. */
  public byte[] decrypt(String token) {
    return open(token, Optional.empty()).plaintext;
  }

  /** The plaintext of {@code token}, refused when older than {@code ttl} or from the future. */
  public byte[] decrypt(String token, Duration ttl) {
    requireNonNull(ttl, "ttl");
    if (ttl.isNegative()) {
      throw new IllegalArgumentException("a time to live cannot be negative");
    }
    return open(token, Optional.of(ttl)).plaintext;
  }

  /** The version that opens {@code token} (whatever its age), without its plaintext. */
  public VersionMatch versionOf(String token) {
    return open(token, Optional.empty()).version;
  }

  /**
   * {@code token} re-encrypted under the current version with its original timestamp, whatever its
   * age, as {@code MultiFernet.rotate} does.
   */
  public String rotate(String token) {
    FernetKey current = current();
    Opened opened = open(token, Optional.empty());
    return current.encrypt(opened.plaintext, opened.timestamp, iv());
  }

  /**
   * {@code token} re-encrypted as {@link #rotate} does, or empty when the current version opens it
   * already; one decryption either way (a sweep that re-encrypts many tokens skips those it did).
   *
   * @throws KeyringException.InvalidToken when no version opens it
   */
  public Optional<String> rotateUnlessCurrent(String token) {
    Opened opened = open(token, Optional.empty());
    if (opened.version.stage() == KeyStage.CURRENT) {
      return Optional.empty();
    }
    return Optional.of(current().encrypt(opened.plaintext, opened.timestamp, iv()));
  }

  private static final class Opened {
    final byte[] plaintext;
    final long timestamp;
    final VersionMatch version;

    Opened(byte[] plaintext, long timestamp, VersionMatch version) {
      this.plaintext = plaintext;
      this.timestamp = timestamp;
      this.version = version;
    }
  }

  private Opened open(String token, Optional<Duration> ttl) {
    requireNonNull(token, "token");
    byte[] data;
    try {
      data = Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw new KeyringException.InvalidToken();
    }
    if (data.length < 9 || (data[0] & 0xff) != FernetKey.VERSION) {
      throw new KeyringException.InvalidToken();
    }
    long timestamp = ByteBuffer.wrap(data, 1, 8).getLong();
    if (ttl.isPresent()) {
      long now = clock.instant().getEpochSecond();
      // unsigned: a timestamp at or past 2^63 is far in the future, never expired
      boolean future = timestamp < 0 || timestamp > now + MAX_CLOCK_SKEW.getSeconds();
      boolean expired = timestamp >= 0 && now - timestamp > ttl.get().getSeconds();
      if (future || expired) {
        throw new KeyringException.InvalidToken();
      }
    }
    int first = lastOpened;
    if (first > 0) {
      Entry e = keys.get(first);
      try {
        return new Opened(e.key().decrypt(data), timestamp, e.id());
      } catch (KeyringException.InvalidToken wrongKey) {
        // the others, in order
      }
    }
    for (int i = 0; i < keys.size(); i++) {
      if (first > 0 && i == first) {
        continue;
      }
      Entry e = keys.get(i);
      try {
        Opened opened = new Opened(e.key().decrypt(data), timestamp, e.id());
        if (first >= 0 && i != first) {
          lastOpened = i;
        }
        return opened;
      } catch (KeyringException.InvalidToken wrongKey) {
        // MultiFernet: try the next version
      }
    }
    throw new KeyringException.InvalidToken();
  }

  private FernetKey current() {
    for (Entry e : keys) {
      if (e.id().stage() == KeyStage.CURRENT) {
        return e.key();
      }
    }
    throw new KeyringException.NoCurrentVersion(name + " has no current version to encrypt with");
  }

  /**
   * A fresh random IV. Drawn in blocks per thread: a {@code SecureRandom} call has a fixed cost
   * (the default one takes a process-wide lock), which a sweep re-encrypting on every core paid
   * once a token. Each IV is used once.
   */
  private byte[] iv() {
    IvPool pool = ivs.get();
    if (pool.used == IVS_PER_DRAW) {
      random.nextBytes(pool.bytes);
      pool.used = 0;
    }
    byte[] iv = java.util.Arrays.copyOfRange(pool.bytes, 16 * pool.used, 16 * pool.used + 16);
    java.util.Arrays.fill(pool.bytes, 16 * pool.used, 16 * pool.used + 16, (byte) 0);
    pool.used++;
    return iv;
  }

  /** Never shows key material. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("FernetKeyring[").append(name);
    for (Entry e : keys) {
      out.append(", #").append(e.id().version()).append(' ').append(e.id().stage().wireName());
    }
    return out.append(']').toString();
  }
}
