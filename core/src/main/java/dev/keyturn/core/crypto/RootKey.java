package dev.keyturn.core.crypto;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The key that wraps every data key: 32 random bytes, written as one line of standard base64. Its
 * {@link #id()} ({@code rk-} and 16 hex digits of a hash) names it in ciphertexts and in the store,
 * so a store can tell a wrong key from a missing one. {@code toString} never shows the key.
 *
 * <p>Thread-safe. {@link #destroy} zeroes the bytes; from then on every use of the key throws
 * {@link KeyturnException.Unavailable}, never computes with the zeroed bytes (a data key wrapped
 * under zeroes would be readable by anyone).
 */
public final class RootKey {
  public static final int LENGTH = 32;

  private final byte[] key;
  private final String id;
  private boolean destroyed;

  private RootKey(byte[] key) {
    if (key.length != LENGTH) {
      throw new KeyturnException.InvalidInput(
          "a root key is " + LENGTH + " bytes, not " + key.length);
    }
    this.key = key;
    this.id = "rk-" + HexFormat.of().formatHex(derive("keyturn root key id v1"), 0, 8);
  }

  public static RootKey generate(SecureRandom random) {
    byte[] key = new byte[LENGTH];
    random.nextBytes(key);
    return new RootKey(key);
  }

  /** Parses the file or environment form: base64 of 32 bytes, surrounding white space ignored. */
  public static RootKey fromBase64(String encoded) {
    requireNonNull(encoded, "encoded");
    try {
      return new RootKey(Base64.getDecoder().decode(encoded.strip()));
    } catch (IllegalArgumentException e) {
      throw new KeyturnException.InvalidInput("the root key is not valid base64");
    }
  }

  public String id() {
    return id;
  }

  /** The file form: base64 and a newline. */
  public synchronized String toBase64Line() {
    checkLive();
    return Base64.getEncoder().encodeToString(key) + "\n";
  }

  /**
   * Splits the key's file form (its base64, without the newline) into {@code shares} Shamir shares
   * in ssss's format ({@link Shamir}), any {@code threshold} of which rebuild it: {@code
   * ssss-combine -t K} prints the line a root key file holds.
   */
  public List<String> split(int shares, int threshold, SecureRandom random) {
    byte[] text;
    synchronized (this) {
      checkLive();
      text = Base64.getEncoder().encode(key);
    }
    try {
      return Shamir.split(text, shares, threshold, random);
    } finally {
      Arrays.fill(text, (byte) 0);
    }
  }

  /**
   * The key that {@code shares} (as many as the split's threshold) rebuild.
   *
   * @throws KeyturnException.InvalidInput for malformed shares, or shares that rebuild no root key
   *     (too few, or from different splits); shares that rebuild another key give that key, so
   *     compare its {@link #id()}
   */
  public static RootKey fromShares(List<String> shares) {
    return fromSecret(Shamir.combine(shares));
  }

  /** As {@link #fromShares}, from parsed shares (left as they are). */
  public static RootKey fromParsedShares(List<Shamir.Share> shares) {
    return fromSecret(Shamir.combineShares(shares));
  }

  private static RootKey fromSecret(byte[] text) {
    try {
      byte[] key = Base64.getDecoder().decode(text);
      if (key.length != LENGTH) {
        Arrays.fill(key, (byte) 0);
        throw new KeyturnException.InvalidInput("the shares do not rebuild a root key");
      }
      return new RootKey(key);
    } catch (IllegalArgumentException e) {
      throw new KeyturnException.InvalidInput("the shares do not rebuild a root key");
    } finally {
      Arrays.fill(text, (byte) 0);
    }
  }

  /**
   * {@code other} wrapped by this key (AES-256-GCM, a random 12-byte nonce before the ciphertext
   * and tag), bound to both keys' ids ({@link Aad#forRootKey}).
   */
  public byte[] wrap(RootKey other, SecureRandom random) {
    byte[] plain;
    synchronized (other) {
      other.checkLive();
      plain = other.key.clone();
    }
    byte[] nonce = new byte[12];
    random.nextBytes(nonce);
    RawKey k = aesKey();
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, nonce));
      cipher.updateAAD(Aad.forRootKey(id, other.id()));
      byte[] sealed = cipher.doFinal(plain);
      byte[] out = Arrays.copyOf(nonce, nonce.length + sealed.length);
      System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("AES-GCM is not available", e);
    } finally {
      k.destroy();
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * The root key with id {@code id} that {@link #wrap} wrapped under this key.
   *
   * @throws KeyturnException.CryptoFailure if {@code wrapped} does not open under this key bound to
   *     {@code id}, or opens to a key with another id
   */
  public RootKey unwrap(String id, byte[] wrapped) {
    requireNonNull(id, "id");
    if (wrapped.length != 12 + LENGTH + 16) {
      throw new KeyturnException.CryptoFailure("a wrapped root key has the wrong length", null);
    }
    RawKey k = aesKey();
    byte[] plain;
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(128, wrapped, 0, 12));
      cipher.updateAAD(Aad.forRootKey(this.id, id));
      plain = cipher.doFinal(wrapped, 12, wrapped.length - 12);
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure(
          "root key " + id + " does not open under root key " + this.id, null);
    } finally {
      k.destroy();
    }
    RootKey key = new RootKey(plain);
    if (!key.id().equals(id)) {
      key.destroy();
      throw new KeyturnException.CryptoFailure("the wrapped root key is not " + id, null);
    }
    return key;
  }

  /** A 32-byte subkey for one purpose (HMAC-SHA256 of the label under the root key). */
  public synchronized byte[] derive(String label) {
    checkLive();
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      RawKey k = new RawKey(key.clone(), "HmacSHA256");
      try {
        mac.init(k);
      } finally {
        k.destroy();
      }
      return mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("HMAC-SHA256 is not available", e);
    }
  }

  /** A copy of the key for one AES operation; the caller destroys it. */
  synchronized RawKey aesKey() {
    checkLive();
    return new RawKey(key.clone(), "AES");
  }

  public boolean sameAs(RootKey other) {
    byte[] theirs;
    synchronized (other) {
      other.checkLive();
      theirs = other.key.clone();
    }
    try {
      synchronized (this) {
        checkLive();
        return MessageDigest.isEqual(key, theirs);
      }
    } finally {
      Arrays.fill(theirs, (byte) 0);
    }
  }

  /** Zeroes the key bytes held by this object; every later use throws. */
  public synchronized void destroy() {
    Arrays.fill(key, (byte) 0);
    destroyed = true;
  }

  /** Whether {@link #destroy} was called. */
  public synchronized boolean destroyed() {
    return destroyed;
  }

  private void checkLive() {
    if (destroyed) {
      throw new KeyturnException.Unavailable("the root key was dropped from memory (sealed)", null);
    }
  }

  @Override
  public String toString() {
    return "RootKey[" + id + "]";
  }
}
