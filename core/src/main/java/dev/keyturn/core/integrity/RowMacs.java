package dev.keyturn.core.integrity;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.crypto.Aad;
import dev.keyturn.core.crypto.RawKey;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.crypto.Mac;

/**
 * MACs over the rows whose fields decide who may read what and which value is current: HMAC-SHA256,
 * under the store's metadata key, of a canonical encoding of the row. Each encoding is a list of
 * length-prefixed fields ({@link Aad#of}) that starts with a label naming the row kind and the
 * encoding's version ({@code keyturn/row/secret/v1} ...), so no row of one kind verifies as another
 * and a later encoding can be told from this one. An absent field is written as an empty field and
 * a presence flag, so absent and empty differ.
 *
 * <p>The secret row's MAC covers a digest of its versions' MACs in number order, so the versions
 * are protected as a set: a version row deleted, added or replayed from an older state changes it.
 * Every MAC covers the object's generation (for a version, its secret's), so an older row, even
 * with its valid MAC of the time, is told apart from the current one by the generation ledger.
 *
 * <p>Thread-safe. Holds the key; {@link #destroy} zeroes it.
 */
public final class RowMacs {
  public static final int KEY_LENGTH = 32;

  private final byte[] key;

  /** This object's own Mac objects (not thread locals, which would outlive it on the threads). */
  private final java.util.concurrent.ConcurrentLinkedQueue<Mac> macs =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  private volatile boolean destroyed;

  public RowMacs(byte[] key) {
    if (key.length != KEY_LENGTH) {
      throw new KeyturnException.CryptoFailure("the metadata key is not " + KEY_LENGTH + " bytes");
    }
    this.key = key.clone();
  }

  private Mac borrow() {
    Mac mac = macs.poll();
    if (mac != null) {
      return mac;
    }
    if (destroyed) {
      throw new KeyturnException.Unavailable("the metadata key was dropped from memory", null);
    }
    try {
      mac = Mac.getInstance("HmacSHA256");
      RawKey k = new RawKey(this.key.clone(), "HmacSHA256");
      try {
        mac.init(k);
      } finally {
        k.destroy();
      }
      return mac;
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("HMAC-SHA256 is not available", e);
    }
  }

  /** One version row. */
  public byte[] version(
      long secretId,
      String name,
      int number,
      String stage,
      String type,
      long createdAt,
      String createdBy,
      Optional<Long> acceptUntil,
      String fingerprint,
      boolean hasCiphertext) {
    List<String> f = new ArrayList<>();
    f.add("keyturn/row/version/v1");
    f.add(Long.toString(secretId));
    f.add(name);
    f.add(Integer.toString(number));
    f.add(stage);
    f.add(type);
    f.add(Long.toString(createdAt));
    f.add(createdBy);
    optional(f, acceptUntil.map(String::valueOf));
    f.add(fingerprint);
    f.add(hasCiphertext ? "1" : "0");
    return mac(f);
  }

  /**
   * One secret row, with its versions' MACs ({@link #version}) in version-number order.
   *
   * @param dataKey the wrapped data key as stored, if any
   */
  public byte[] secret(
      long id,
      String name,
      long generation,
      boolean destroyed,
      boolean live,
      long createdAt,
      long updatedAt,
      Optional<byte[]> dataKey,
      List<byte[]> versionMacs) {
    List<String> f = new ArrayList<>();
    f.add("keyturn/row/secret/v1");
    f.add(Long.toString(id));
    f.add(name);
    f.add(Long.toString(generation));
    f.add(destroyed ? "1" : "0");
    f.add(live ? "1" : "0");
    f.add(Long.toString(createdAt));
    f.add(Long.toString(updatedAt));
    optional(f, dataKey.map(RowMacs::sha256Hex));
    f.add(Integer.toString(versionMacs.size()));
    MessageDigest digest = sha256();
    versionMacs.forEach(digest::update);
    f.add(HexFormat.of().formatHex(digest.digest()));
    return mac(f);
  }

  /** One token row: who it is, what it may do, until when, and who made it. */
  public byte[] token(
      String id,
      byte[] hash,
      String name,
      List<String> grants,
      long createdAt,
      Optional<Long> expiresAt,
      Optional<Long> revokedAt,
      Optional<String> creator,
      String creatorSource,
      long generation) {
    return token(
        id,
        hash,
        name,
        grants,
        createdAt,
        expiresAt,
        revokedAt,
        creator,
        creatorSource,
        Optional.empty(),
        generation);
  }

  /**
   * One token row with its recorded lifetime (milliseconds; set by its first renewal). A row
   * without one is MACed as before lifetimes existed, one with one under its own label, so that
   * neither can pass for the other.
   */
  public byte[] token(
      String id,
      byte[] hash,
      String name,
      List<String> grants,
      long createdAt,
      Optional<Long> expiresAt,
      Optional<Long> revokedAt,
      Optional<String> creator,
      String creatorSource,
      Optional<Long> lifetime,
      long generation) {
    List<String> f = new ArrayList<>();
    f.add(lifetime.isPresent() ? "keyturn/row/token/v2" : "keyturn/row/token/v1");
    f.add(id);
    f.add(HexFormat.of().formatHex(hash));
    f.add(name);
    f.add(Integer.toString(grants.size()));
    f.addAll(grants);
    f.add(Long.toString(createdAt));
    optional(f, expiresAt.map(String::valueOf));
    optional(f, revokedAt.map(String::valueOf));
    optional(f, creator);
    f.add(creatorSource);
    lifetime.ifPresent(l -> f.add(Long.toString(l)));
    f.add(Long.toString(generation));
    return mac(f);
  }

  /**
   * One rule row as it was protected before its due dates were: the secret it belongs to and its
   * whole stored document. Checked only for rows that have not been written since.
   */
  public byte[] rule(String secret, String document, long generation) {
    return mac(List.of("keyturn/row/rule/v1", secret, document, Long.toString(generation)));
  }

  /**
   * One rule row: the secret it belongs to, its whole stored document, when it is next due and when
   * its rotation starts (epoch milliseconds, {@code -} for none), so that an edited row can neither
   * start a rotation early nor be shown as not due.
   */
  public byte[] rule(
      String secret,
      String document,
      Optional<Instant> nextDue,
      Optional<Instant> startAt,
      long generation) {
    return mac(
        List.of(
            "keyturn/row/rule/v2",
            secret,
            document,
            nextDue.map(t -> Long.toString(t.toEpochMilli())).orElse("-"),
            startAt.map(t -> Long.toString(t.toEpochMilli())).orElse("-"),
            Long.toString(generation)));
  }

  /**
   * One consumer row: its id, the token that owns it, what it holds ({@code
   * Consumer#encodeHoldings}) and when it stops being live (epoch milliseconds), so that an edited
   * row can neither hold a version longer nor pass for another token's consumer.
   */
  public byte[] consumer(
      String id,
      String owner,
      String name,
      String kind,
      String holdings,
      long ttlMillis,
      long registeredAt,
      long lastSeen) {
    return mac(
        List.of(
            "keyturn/row/consumer/v1",
            id,
            owner,
            name,
            kind,
            holdings,
            Long.toString(ttlMillis),
            Long.toString(registeredAt),
            Long.toString(lastSeen)));
  }

  /** Constant-time comparison; false when either is absent. */
  public static boolean same(byte[] expected, byte[] actual) {
    return expected != null && actual != null && MessageDigest.isEqual(expected, actual);
  }

  /** Zeroes the key held by this object and drops its Mac objects; later MACs throw. */
  public void destroy() {
    destroyed = true;
    Arrays.fill(key, (byte) 0);
    RawKey.zeroMacs(macs);
  }

  @Override
  public String toString() {
    return "RowMacs[redacted]";
  }

  private byte[] mac(List<String> fields) {
    Mac mac = borrow();
    byte[] out = mac.doFinal(Aad.of(fields.toArray(String[]::new)));
    if (!destroyed) {
      macs.offer(mac);
    }
    return out;
  }

  private static void optional(List<String> fields, Optional<String> value) {
    fields.add(value.orElse(""));
    fields.add(value.isPresent() ? "1" : "0");
  }

  private static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  private static MessageDigest sha256() {
    try {
      // A copy of an unused digest: cheaper than looking the provider up for every row checked.
      return (MessageDigest) SHA256.clone();
    } catch (CloneNotSupportedException e) {
      throw new KeyturnException.CryptoFailure("SHA-256 cannot be copied", e);
    }
  }

  private static final MessageDigest SHA256 = newSha256();

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("SHA-256 is not available", e);
    }
  }
}
