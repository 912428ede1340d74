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
 * rotation stay verifiable with the old key: a rotation seals with the new root key's chain key
 * from its start ({@link #sealWith}), and the chain keys of earlier root keys are kept wrapped by
 * the root key in force ({@link #chainKey}, {@link #addChainKey}), so records they sealed verify
 * after the old key files are gone. Thread-safe.
 */
public final class AuditChain {
  public static final byte[] GENESIS = new byte[32];
  private static final String LABEL = "keyturn audit chain v1";

  private volatile String sealingKeyId;
  private final Map<String, byte[]> keys = new java.util.concurrent.ConcurrentHashMap<>();

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

  /**
   * From now on seals with the chain key of {@code next} (a root key rotation has begun), and still
   * verifies with every key known before.
   */
  public void sealWith(RootKey next) {
    sealingKeyId = add(requireNonNull(next, "next"));
  }

  /**
   * Adds a chain key of an earlier root key (as {@link #chainKey} gave it, unwrapped from the
   * store) for verifying; returns its id. The chain keeps a copy.
   */
  public String addChainKey(byte[] key) {
    byte[] copy = requireNonNull(key, "key").clone();
    String id = idOf(copy);
    keys.putIfAbsent(id, copy);
    return id;
  }

  /** The ids of every chain key this chain verifies with, the sealing one included. */
  public java.util.Set<String> keyIds() {
    return java.util.Set.copyOf(keys.keySet());
  }

  /**
   * A copy of the chain key named {@code keyId}, to be kept wrapped by the root key; the caller
   * wipes it.
   *
   * @throws KeyturnException.InvalidInput if this chain does not hold it
   */
  public byte[] chainKey(String keyId) {
    byte[] key = keys.get(keyId);
    if (key == null) {
      throw new KeyturnException.InvalidInput("the audit chain holds no key " + keyId);
    }
    if (destroyed) {
      throw new KeyturnException.Unavailable("the audit chain key was dropped from memory", null);
    }
    return key.clone();
  }

  /** True if this chain holds the key that sealed records named {@code keyId}. */
  public boolean knows(String keyId) {
    return keys.containsKey(keyId);
  }

  private String add(RootKey root) {
    byte[] key = root.derive(LABEL);
    String id = idOf(key);
    keys.putIfAbsent(id, key);
    return id;
  }

  private static String idOf(byte[] key) {
    return "ak-" + HexFormat.of().formatHex(hmac(key, "id".getBytes(StandardCharsets.UTF_8)), 0, 8);
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
