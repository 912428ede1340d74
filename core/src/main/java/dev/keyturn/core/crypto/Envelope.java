package dev.keyturn.core.crypto;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Envelope encryption with AES-256-GCM. Each secret has a data key; data keys are wrapped by the
 * {@link RootKey}; each version's value is sealed under its secret's data key.
 *
 * <p>Wire format of every ciphertext (values and wrapped data keys):
 *
 * <pre>
 *   byte    format version (1)
 *   byte    length of the key id, n (1..255)
 *   n bytes key id, ASCII: the root key id for a wrapped data key, "dk-N" for a value
 *   12 bytes random nonce
 *   rest    AES-GCM ciphertext and 16-byte tag
 * </pre>
 *
 * The header (format, key id) is authenticated together with the caller's associated data (see
 * {@link Aad}), so a flipped bit anywhere, or a ciphertext moved to another row, fails to open.
 *
 * <p>During a root key rotation the envelope holds two root keys ({@link #beginWrapping}): it wraps
 * under the new one and unwraps under whichever key a ciphertext's header names, so rows wrapped by
 * either open. A key it was given stays held (for unwrapping) until {@link #destroy}.
 *
 * <p>Thread-safe. Never logs or puts key or plaintext bytes in exception messages. {@link #destroy}
 * zeroes the root key; the cipher objects (which keep a copy of the last key they were given) are
 * this envelope's own, never shared with other envelopes or kept by threads, so once the envelope
 * is dropped no live object holds a key it used.
 */
public final class Envelope {
  public static final byte FORMAT = 1;
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;

  /**
   * Cipher objects reused across operations, re-initialized for every one (a fresh nonce each
   * time): creating a Cipher and expanding the key dominated the cost of small values. A pool of
   * this envelope's (not thread locals, which would outlive it on the server's threads holding the
   * last key each cipher saw).
   */
  private final java.util.concurrent.ConcurrentLinkedQueue<Cipher> ciphers =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  /**
   * The same for root key operations (wrapping and unwrapping data keys): a cipher that keeps
   * seeing the same key skips expanding it again, which a cipher alternating between the root key
   * and data keys never could (a backup unwraps and opens once per secret).
   */
  private final java.util.concurrent.ConcurrentLinkedQueue<Cipher> rootCiphers =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  private volatile RootKey rootKey;
  private final java.util.Map<String, RootKey> rootKeys =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final SecureRandom random;

  public Envelope(RootKey rootKey, SecureRandom random) {
    this.rootKey = requireNonNull(rootKey, "rootKey");
    this.random = requireNonNull(random, "random");
    rootKeys.put(rootKey.id(), rootKey);
  }

  /** The id of the root key that wraps new keys. */
  public String rootKeyId() {
    return rootKey.id();
  }

  /**
   * From now on wraps under {@code next}, and still unwraps under every root key given before (a
   * root key rotation). The envelope owns {@code next}: {@link #destroy} zeroes it.
   */
  public void beginWrapping(RootKey next) {
    requireNonNull(next, "next");
    rootKeys.put(next.id(), next);
    rootKey = next;
  }

  /**
   * {@code next} wrapped by the root key in force, and the root key in force wrapped by {@code
   * next} ({@link RootKey#wrap}), in that order: what a share-held root key rotation records so
   * that either key's shares open the other.
   */
  public java.util.List<byte[]> crossWrap(RootKey next) {
    RootKey current = rootKey;
    return java.util.List.of(current.wrap(next, random), next.wrap(current, random));
  }

  /** Whether a ciphertext wrapped by root key {@code id} opens here. */
  public boolean holds(String id) {
    return rootKeys.containsKey(id);
  }

  /**
   * A data key wrapped by any root key this envelope holds, wrapped again under the one it wraps
   * with ({@link #rootKeyId}), bound to the same secret.
   *
   * @throws KeyturnException.CryptoFailure if it does not open
   */
  public byte[] rewrapDataKey(byte[] wrapped, long secretId, String name, int dataKey) {
    byte[] aad = Aad.forDataKey(secretId, name, dataKey);
    byte[] key = unwrap(wrapped, aad);
    try {
      return sealUnderRoot(key, aad);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** As {@link #rewrapDataKey}, for the store's metadata key. */
  public byte[] rewrapMetadataKey(byte[] wrapped) {
    byte[] key = unwrapMetadataKey(wrapped);
    try {
      return wrapMetadataKey(key);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** Wraps an audit chain key of an earlier root key, bound to its id {@code auditKeyId}. */
  public byte[] wrapAuditKey(String auditKeyId, byte[] key) {
    return sealUnderRoot(key, Aad.forAuditKey(auditKeyId));
  }

  /**
   * Unwraps an audit chain key wrapped by {@link #wrapAuditKey}; the caller owns (and should wipe)
   * the result.
   *
   * @throws KeyturnException.CryptoFailure if it does not open, or is bound to another id
   */
  public byte[] unwrapAuditKey(String auditKeyId, byte[] wrapped) {
    return unwrap(wrapped, Aad.forAuditKey(auditKeyId));
  }

  /** Makes a new random data key and returns it wrapped by the root key, bound to its secret. */
  public byte[] newWrappedDataKey(long secretId, String name, int dataKey) {
    byte[] key = new byte[32];
    random.nextBytes(key);
    try {
      return sealUnderRoot(key, Aad.forDataKey(secretId, name, dataKey));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /**
   * A new random data key, not wrapped yet ({@link #wrapDataKey} binds it to its secret once the
   * secret's row exists): the caller owns it and destroys it once no one uses it.
   */
  public SecretKey newDataKey() {
    byte[] key = new byte[32];
    random.nextBytes(key);
    return new RawKey(key, "AES");
  }

  /** Wraps {@code key} (of {@link #newDataKey}) by the root key, bound to its secret. */
  public byte[] wrapDataKey(SecretKey key, long secretId, String name, int dataKey) {
    byte[] raw = key.getEncoded();
    try {
      return sealUnderRoot(raw, Aad.forDataKey(secretId, name, dataKey));
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  /**
   * Unwraps a data key; throws {@link KeyturnException.CryptoFailure} if it does not open. The key
   * is a {@link RawKey}: its owner destroys it once no one uses it.
   */
  public SecretKey unwrapDataKey(byte[] wrapped, long secretId, String name, int dataKey) {
    return new RawKey(unwrap(wrapped, Aad.forDataKey(secretId, name, dataKey)), "AES");
  }

  /**
   * Rewraps a data key wrapped before names were bound ({@link Aad#legacyDataKey}) so that it is
   * bound to the secret's name too. For the migration at the first start after the upgrade.
   */
  public byte[] rebindDataKey(byte[] legacy, long secretId, String name, int dataKey) {
    byte[] key = unwrap(legacy, Aad.legacyDataKey(secretId, dataKey));
    try {
      return sealUnderRoot(key, Aad.forDataKey(secretId, name, dataKey));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** Wraps the store's metadata key (32 bytes) under the root key. */
  public byte[] wrapMetadataKey(byte[] key) {
    return sealUnderRoot(key, Aad.forMetadataKey());
  }

  private byte[] sealUnderRoot(byte[] plaintext, byte[] aad) {
    RootKey wrapping = rootKey;
    RawKey root = wrapping.aesKey();
    try {
      return seal(rootCiphers, root, wrapping.id(), plaintext, aad);
    } finally {
      root.destroy();
    }
  }

  /**
   * Unwraps the store's metadata key; the caller owns (and should wipe) the result.
   *
   * @throws KeyturnException.CryptoFailure if it does not open under the loaded root key
   */
  public byte[] unwrapMetadataKey(byte[] wrapped) {
    return unwrap(wrapped, Aad.forMetadataKey());
  }

  private byte[] unwrap(byte[] wrapped, byte[] aad) {
    String keyId = keyId(wrapped);
    RootKey unwrapping = rootKeys.get(keyId);
    if (unwrapping == null) {
      throw new KeyturnException.CryptoFailure(
          "a key is wrapped by root key " + keyId + ", but the loaded root key is " + rootKey.id());
    }
    RawKey root = unwrapping.aesKey();
    try {
      return open(rootCiphers, root, wrapped, aad);
    } finally {
      root.destroy();
    }
  }

  /** Seals a value under a data key, bound to {@code aad}. */
  public byte[] sealValue(SecretKey dataKey, int dataKeyNumber, byte[] plaintext, byte[] aad) {
    return seal(ciphers, dataKey, "dk-" + dataKeyNumber, plaintext, aad);
  }

  /** Opens a value sealed by {@link #sealValue}; the caller owns (and should wipe) the result. */
  public byte[] openValue(SecretKey dataKey, byte[] ciphertext, byte[] aad) {
    return open(ciphers, dataKey, ciphertext, aad);
  }

  /**
   * A keyed fingerprint of a value: 16 bytes of HMAC-SHA256 under a key derived from the data key,
   * as 32 hex digits. Equal values of one secret have equal fingerprints; without the key nothing
   * about the value can be learned or guessed offline.
   */
  public String fingerprint(SecretKey dataKey, byte[] plaintext) {
    try {
      Mac derive = Mac.getInstance("HmacSHA256");
      RawKey dk = new RawKey(dataKey.getEncoded(), "HmacSHA256");
      try {
        derive.init(dk);
      } finally {
        dk.destroy();
      }
      byte[] fingerprintKey =
          derive.doFinal("keyturn fingerprint v1".getBytes(StandardCharsets.UTF_8));
      Mac mac = Mac.getInstance("HmacSHA256");
      RawKey fk = new RawKey(fingerprintKey, "HmacSHA256");
      try {
        mac.init(fk);
      } finally {
        fk.destroy();
      }
      return HexFormat.of().formatHex(mac.doFinal(plaintext), 0, 16);
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("HMAC-SHA256 is not available", e);
    }
  }

  /**
   * Zeroes the root keys and drops the pooled ciphers (and the key copies they keep); every later
   * wrap or unwrap throws {@link KeyturnException.Unavailable}. Values sealed under data keys
   * already unwrapped are the caller's to drop (their keys live in {@code SecretKey} objects).
   */
  public void destroy() {
    rootKeys.values().forEach(RootKey::destroy);
    // Re-keyed with zeroes, a cipher zeroes the copies it kept of its last key (the JDK's AES and
    // GCM do so on a new key); then the pool is dropped.
    Cipher cipher;
    while ((cipher = ciphers.poll()) != null || (cipher = rootCiphers.poll()) != null) {
      RawKey zero = new RawKey(new byte[32], "AES");
      byte[] nonce = new byte[NONCE];
      random.nextBytes(nonce);
      try {
        cipher.init(Cipher.ENCRYPT_MODE, zero, new GCMParameterSpec(TAG_BITS, nonce));
      } catch (GeneralSecurityException e) {
        // Nothing to zero with: the cipher is dropped all the same.
      }
    }
  }

  /** A cipher of the pool, or a new one. */
  private static Cipher borrow(java.util.Queue<Cipher> pool) throws GeneralSecurityException {
    Cipher cipher = pool.poll();
    return cipher != null ? cipher : Cipher.getInstance("AES/GCM/NoPadding");
  }

  /** The key id named in a ciphertext's header. */
  public static String keyId(byte[] ciphertext) {
    if (ciphertext.length < 2 || ciphertext[0] != FORMAT) {
      throw new KeyturnException.CryptoFailure(
          "unknown ciphertext format " + (ciphertext.length == 0 ? "(empty)" : ciphertext[0]));
    }
    int n = ciphertext[1] & 0xff;
    if (n == 0 || ciphertext.length < 2 + n + NONCE + TAG_BITS / 8) {
      throw new KeyturnException.CryptoFailure("ciphertext is truncated");
    }
    return new String(ciphertext, 2, n, StandardCharsets.US_ASCII);
  }

  private byte[] seal(
      java.util.Queue<Cipher> pool, SecretKey key, String keyId, byte[] plaintext, byte[] aad) {
    byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    try {
      Cipher cipher = borrow(pool);
      try {
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
        ByteBuffer out =
            ByteBuffer.allocate(2 + id.length + NONCE + cipher.getOutputSize(plaintext.length));
        out.put(FORMAT).put((byte) id.length).put(id).put(nonce);
        cipher.updateAAD(out.array(), 0, 2 + id.length);
        cipher.updateAAD(aad);
        cipher.doFinal(ByteBuffer.wrap(plaintext), out);
        return out.array();
      } finally {
        pool.offer(cipher);
      }
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("AES-GCM encryption failed", e);
    }
  }

  private byte[] open(java.util.Queue<Cipher> pool, SecretKey key, byte[] ciphertext, byte[] aad) {
    String keyId = keyId(ciphertext);
    int header = 2 + keyId.length();
    try {
      Cipher cipher = borrow(pool);
      try {
        cipher.init(
            Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, ciphertext, header, NONCE));
        cipher.updateAAD(ciphertext, 0, header);
        cipher.updateAAD(aad);
        return cipher.doFinal(ciphertext, header + NONCE, ciphertext.length - header - NONCE);
      } finally {
        // Given back even after a failure (the next init resets it), so that destroy() zeroes
        // the key it holds instead of leaving it to the collector.
        pool.offer(cipher);
      }
    } catch (AEADBadTagException e) {
      throw new KeyturnException.CryptoFailure(
          "ciphertext does not authenticate (wrong key, wrong row, or tampered data)");
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("AES-GCM decryption failed", e);
    }
  }
}
