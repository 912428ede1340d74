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
import javax.crypto.spec.SecretKeySpec;

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

  private final RootKey rootKey;
  private final SecureRandom random;

  public Envelope(RootKey rootKey, SecureRandom random) {
    this.rootKey = requireNonNull(rootKey, "rootKey");
    this.random = requireNonNull(random, "random");
  }

  public String rootKeyId() {
    return rootKey.id();
  }

  /** Makes a new random data key and returns it wrapped by the root key, bound to its secret. */
  public byte[] newWrappedDataKey(long secretId, String name, int dataKey) {
    byte[] key = new byte[32];
    random.nextBytes(key);
    try {
      return seal(rootKey.aesKey(), rootKey.id(), key, Aad.forDataKey(secretId, name, dataKey));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** Unwraps a data key; throws {@link KeyturnException.CryptoFailure} if it does not open. */
  public SecretKey unwrapDataKey(byte[] wrapped, long secretId, String name, int dataKey) {
    byte[] key = unwrap(wrapped, Aad.forDataKey(secretId, name, dataKey));
    try {
      return new SecretKeySpec(key, "AES");
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /**
   * Rewraps a data key wrapped before names were bound ({@link Aad#legacyDataKey}) so that it is
   * bound to the secret's name too. For the migration at the first start after the upgrade.
   */
  public byte[] rebindDataKey(byte[] legacy, long secretId, String name, int dataKey) {
    byte[] key = unwrap(legacy, Aad.legacyDataKey(secretId, dataKey));
    try {
      return seal(rootKey.aesKey(), rootKey.id(), key, Aad.forDataKey(secretId, name, dataKey));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** Wraps the store's metadata key (32 bytes) under the root key. */
  public byte[] wrapMetadataKey(byte[] key) {
    return seal(rootKey.aesKey(), rootKey.id(), key, Aad.forMetadataKey());
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
    if (!keyId.equals(rootKey.id())) {
      throw new KeyturnException.CryptoFailure(
          "a key is wrapped by root key " + keyId + ", but the loaded root key is " + rootKey.id());
    }
    return open(rootKey.aesKey(), wrapped, aad);
  }

  /** Seals a value under a data key, bound to {@code aad}. */
  public byte[] sealValue(SecretKey dataKey, int dataKeyNumber, byte[] plaintext, byte[] aad) {
    return seal(dataKey, "dk-" + dataKeyNumber, plaintext, aad);
  }

  /** Opens a value sealed by {@link #sealValue}; the caller owns (and should wipe) the result. */
  public byte[] openValue(SecretKey dataKey, byte[] ciphertext, byte[] aad) {
    return open(dataKey, ciphertext, aad);
  }

  /**
   * A keyed fingerprint of a value: 16 bytes of HMAC-SHA256 under a key derived from the data key,
   * as 32 hex digits. Equal values of one secret have equal fingerprints; without the key nothing
   * about the value can be learned or guessed offline.
   */
  public String fingerprint(SecretKey dataKey, byte[] plaintext) {
    try {
      Mac derive = Mac.getInstance("HmacSHA256");
      derive.init(new SecretKeySpec(dataKey.getEncoded(), "HmacSHA256"));
      byte[] fingerprintKey =
          derive.doFinal("keyturn fingerprint v1".getBytes(StandardCharsets.UTF_8));
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(fingerprintKey, "HmacSHA256"));
      Arrays.fill(fingerprintKey, (byte) 0);
      return HexFormat.of().formatHex(mac.doFinal(plaintext), 0, 16);
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("HMAC-SHA256 is not available", e);
    }
  }

  /**
   * Zeroes the root key and drops the pooled ciphers (and the key copies they keep); every later
   * wrap or unwrap throws {@link KeyturnException.Unavailable}. Values sealed under data keys
   * already unwrapped are the caller's to drop (their keys live in {@code SecretKey} objects).
   */
  public void destroy() {
    rootKey.destroy();
    ciphers.clear();
  }

  /** A cipher of the pool, or a new one; a cipher that threw is not given back. */
  private Cipher borrow() throws GeneralSecurityException {
    Cipher cipher = ciphers.poll();
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

  private byte[] seal(SecretKey key, String keyId, byte[] plaintext, byte[] aad) {
    byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    try {
      Cipher cipher = borrow();
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      ByteBuffer out =
          ByteBuffer.allocate(2 + id.length + NONCE + cipher.getOutputSize(plaintext.length));
      out.put(FORMAT).put((byte) id.length).put(id).put(nonce);
      cipher.updateAAD(out.array(), 0, 2 + id.length);
      cipher.updateAAD(aad);
      cipher.doFinal(ByteBuffer.wrap(plaintext), out);
      ciphers.offer(cipher);
      return out.array();
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("AES-GCM encryption failed", e);
    }
  }

  private byte[] open(SecretKey key, byte[] ciphertext, byte[] aad) {
    String keyId = keyId(ciphertext);
    int header = 2 + keyId.length();
    try {
      Cipher cipher = borrow();
      cipher.init(
          Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, ciphertext, header, NONCE));
      cipher.updateAAD(ciphertext, 0, header);
      cipher.updateAAD(aad);
      byte[] plaintext =
          cipher.doFinal(ciphertext, header + NONCE, ciphertext.length - header - NONCE);
      ciphers.offer(cipher);
      return plaintext;
    } catch (AEADBadTagException e) {
      throw new KeyturnException.CryptoFailure(
          "ciphertext does not authenticate (wrong key, wrong row, or tampered data)");
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("AES-GCM decryption failed", e);
    }
  }
}
