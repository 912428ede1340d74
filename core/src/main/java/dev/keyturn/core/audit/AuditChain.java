package dev.keyturn.core.audit;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.crypto.Aad;
import dev.keyturn.core.crypto.RawKey;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.integrity.Generations;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditRecord;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;

/**
 * The MAC chain over audit records. Record {@code n}'s MAC is HMAC-SHA256, under an audit key
 * derived from the root key, of record {@code n-1}'s MAC followed by record {@code n}'s fields
 * (length-prefixed, see {@link Aad}); the first record follows 32 zero bytes. Editing, deleting or
 * reordering a record breaks every MAC from there on; deleting records from the end is caught
 * against a checkpoint kept elsewhere.
 *
 * <p>Two record formats: v1 (the fields above, as records were sealed before object generations
 * existed) and v2, for a record that carries object generations, whose field list starts with the
 * label {@code keyturn audit record v2} and ends with the generations ({@link
 * dev.keyturn.core.integrity.Generations#encode}). A v1 field list starts with the sequence number,
 * so the two cannot encode alike; adding or removing generations breaks the MAC.
 *
 * <p>Each record names the key that sealed it ({@code ak-...}), so records sealed before a root key
 * rotation stay verifiable with the old key. Thread-safe.
 */
public final class AuditChain {
  public static final byte[] GENESIS = new byte[32];
  private static final String LABEL = "keyturn audit chain v1";

  private final String sealingKeyId;
  private final Map<String, byte[]> keys = new LinkedHashMap<>();

  /** This chain's own Mac objects per key id (not thread locals, which would outlive it). */
  private final Map<String, java.util.concurrent.ConcurrentLinkedQueue<Mac>> macs =
      new java.util.concurrent.ConcurrentHashMap<>();

  private volatile boolean destroyed;

  /** A chain that seals with the key derived from {@code current} and verifies with all. */
  public AuditChain(RootKey current, RootKey... older) {
    requireNonNull(current, "current");
    this.sealingKeyId = add(current);
    for (RootKey key : older) {
      add(key);
    }
  }

  public String sealingKeyId() {
    return sealingKeyId;
  }

  /** Seals {@code event} as record {@code seq} after a record whose MAC is {@code previousMac}. */
  public AuditRecord seal(long seq, AuditEvent event, byte[] previousMac) {
    return new AuditRecord(seq, event, sealingKeyId, mac(sealingKeyId, previousMac, seq, event));
  }

  /** True if {@code record} is correctly sealed after {@code previousMac} by a known key. */
  public boolean verifies(AuditRecord record, byte[] previousMac) {
    if (!keys.containsKey(record.keyId())) {
      return false;
    }
    byte[] expected = mac(record.keyId(), previousMac, record.seq(), record.event());
    return MessageDigest.isEqual(expected, record.mac());
  }

  /** True if this chain holds the key that sealed records named {@code keyId}. */
  public boolean knows(String keyId) {
    return keys.containsKey(keyId);
  }

  private String add(RootKey root) {
    byte[] key = root.derive(LABEL);
    String id =
        "ak-" + HexFormat.of().formatHex(hmac(key, "id".getBytes(StandardCharsets.UTF_8)), 0, 8);
    keys.put(id, key);
    return id;
  }

  private byte[] mac(String keyId, byte[] previous, long seq, AuditEvent e) {
    byte[] fields =
        e.generations().isEmpty()
            ? Aad.of(
                Long.toString(seq),
                keyId,
                e.time().toString(),
                e.tokenId(),
                e.client(),
                e.action(),
                e.secret().orElse(""),
                e.secret().isPresent() ? "1" : "0",
                e.version().map(String::valueOf).orElse(""),
                e.result(),
                e.detail())
            : Aad.of(
                "keyturn audit record v2",
                Long.toString(seq),
                keyId,
                e.time().toString(),
                e.tokenId(),
                e.client(),
                e.action(),
                e.secret().orElse(""),
                e.secret().isPresent() ? "1" : "0",
                e.version().map(String::valueOf).orElse(""),
                e.result(),
                e.detail(),
                Generations.encode(e.generations()));
    java.util.concurrent.ConcurrentLinkedQueue<Mac> pool =
        macs.computeIfAbsent(keyId, id -> new java.util.concurrent.ConcurrentLinkedQueue<>());
    Mac mac = pool.poll();
    if (mac == null) {
      if (destroyed) {
        throw new KeyturnException.Unavailable("the audit chain key was dropped from memory", null);
      }
      try {
        mac = Mac.getInstance("HmacSHA256");
        RawKey k = new RawKey(keys.get(keyId).clone(), "HmacSHA256");
        try {
          mac.init(k);
        } finally {
          k.destroy();
        }
      } catch (GeneralSecurityException ex) {
        throw new KeyturnException.CryptoFailure("HMAC-SHA256 is not available", ex);
      }
    }
    mac.update(previous);
    byte[] out = mac.doFinal(fields);
    if (!destroyed) {
      pool.offer(mac);
    }
    return out;
  }

  /**
   * Zeroes the chain's keys and drops its Mac objects (for {@code seal}); sealing or verifying
   * afterwards throws {@link KeyturnException.Unavailable}.
   */
  public void destroy() {
    destroyed = true;
    keys.values().forEach(k -> java.util.Arrays.fill(k, (byte) 0));
    macs.values().forEach(RawKey::zeroMacs);
    macs.clear();
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      RawKey k = new RawKey(key.clone(), "HmacSHA256");
      try {
        mac.init(k);
      } finally {
        k.destroy();
      }
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("HMAC-SHA256 is not available", e);
    }
  }
}
