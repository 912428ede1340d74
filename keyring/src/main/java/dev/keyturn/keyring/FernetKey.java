package dev.keyturn.keyring;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * One Fernet key and the token format (https://github.com/fernet/spec): {@code 0x80}, an 8-byte
 * big-endian timestamp, a 16-byte IV, AES-128-CBC with PKCS#7 padding under the key's second half,
 * and HMAC-SHA256 under its first half over all of that; URL-safe base64 with padding. Thread-safe.
 */
final class FernetKey {
  static final int VERSION = 0x80;
  private static final int HEADER = 1 + 8 + 16;
  private static final int MAC = 32;

  private final SecretKeySpec signing;
  private final SecretKeySpec encryption;

  /** HMACs keyed with this key, one a thread (a finished MAC is ready for the next token). */
  private final ThreadLocal<Mac> macs;

  /**
   * AES-CBC instances for this key, one a thread and direction: looking one up costs more than
   * using it on a token, and an instance initialized again with the key and direction it last had
   * keeps its key schedule (one shared by the keys of a keyring expanded a key at every token).
   */
  private final ThreadLocal<Cipher> encrypting = ThreadLocal.withInitial(FernetKey::aes);

  private final ThreadLocal<Cipher> decrypting = ThreadLocal.withInitial(FernetKey::aes);

  private FernetKey(byte[] key) {
    this.signing = new SecretKeySpec(key, 0, 16, "HmacSHA256");
    this.encryption = new SecretKeySpec(key, 16, 16, "AES");
    this.macs =
        ThreadLocal.withInitial(() -> {
          try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(signing);
            return mac;
          } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available in this JDK", e);
          }
        });
  }

  private static Cipher aes() {
    try {
      return Cipher.getInstance("AES/CBC/PKCS5Padding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CBC is not available in this JDK", e);
    }
  }

  /**
   * The key a value holds: 32 bytes in URL-safe base64 with padding, as {@code
   * Fernet.generate_key()} makes them.
   *
   * @throws KeyringException.InvalidKey naming {@code label}, never the value
   */
  static FernetKey parse(String value, String label) {
    byte[] key;
    try {
      key = value.length() == 44 ? Base64.getUrlDecoder().decode(value) : new byte[0];
    } catch (IllegalArgumentException e) {
      key = new byte[0];
    }
    if (key.length != 32) {
      throw new KeyringException.InvalidKey(
          label + " is not a Fernet key (32 bytes in URL-safe base64, 44 characters)");
    }
    FernetKey parsed = new FernetKey(key);
    Arrays.fill(key, (byte) 0);
    return parsed;
  }

  /** The token of {@code plaintext} made at {@code timestamp} (seconds) with {@code iv}. */
  String encrypt(byte[] plaintext, long timestamp, byte[] iv) {
    try {
      Cipher aes = encrypting.get();
      aes.init(Cipher.ENCRYPT_MODE, encryption, new IvParameterSpec(iv));
      byte[] ciphertext = aes.doFinal(plaintext);
      ByteBuffer token = ByteBuffer.allocate(HEADER + ciphertext.length + MAC);
      token.put((byte) VERSION).putLong(timestamp).put(iv).put(ciphertext);
      Mac mac = macs.get();
      mac.update(token.array(), 0, token.position());
      token.put(mac.doFinal());
      return Base64.getUrlEncoder().encodeToString(token.array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CBC or HMAC-SHA256 is not available in this JDK", e);
    }
  }

  /**
   * The plaintext of a decoded token whose version byte and length are already checked; the MAC is
   * checked first, in constant time.
   *
   * @throws KeyringException.InvalidToken when this key did not make it, or its padding is wrong
   */
  byte[] decrypt(byte[] token) {
    int body = token.length - MAC;
    if (body < HEADER + 16 || (body - HEADER) % 16 != 0) {
      throw new KeyringException.InvalidToken();
    }
    try {
      Mac mac = macs.get();
      mac.update(token, 0, body);
      if (!MessageDigest.isEqual(mac.doFinal(), Arrays.copyOfRange(token, body, token.length))) {
        throw new KeyringException.InvalidToken();
      }
      Cipher aes = decrypting.get();
      aes.init(Cipher.DECRYPT_MODE, encryption, new IvParameterSpec(token, 9, 16));
      return aes.doFinal(token, HEADER, body - HEADER);
    } catch (javax.crypto.BadPaddingException | javax.crypto.IllegalBlockSizeException e) {
      throw new KeyringException.InvalidToken();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CBC or HMAC-SHA256 is not available in this JDK", e);
    }
  }

  /** Whether {@code other} holds the same key (compared in constant time). */
  boolean sameKey(FernetKey other) {
    return same(signing, other.signing) & same(encryption, other.encryption);
  }

  private static boolean same(SecretKeySpec a, SecretKeySpec b) {
    byte[] x = a.getEncoded();
    byte[] y = b.getEncoded();
    try {
      return MessageDigest.isEqual(x, y);
    } finally {
      Arrays.fill(x, (byte) 0);
      Arrays.fill(y, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return "FernetKey[redacted]";
  }
}
