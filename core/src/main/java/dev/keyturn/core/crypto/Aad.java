package dev.keyturn.core.crypto;

import java.nio.charset.StandardCharsets;

/**
 * Associated data built without ambiguity: each field is written as a 4-byte big-endian length
 * followed by its bytes, so no two different field lists encode to the same bytes.
 */
public final class Aad {
  private Aad() {}

  public static byte[] of(String... fields) {
    // Sized once and filled in place: built for every value opened and every row MAC checked.
    byte[][] encoded = new byte[fields.length][];
    int total = 0;
    for (int i = 0; i < fields.length; i++) {
      encoded[i] = fields[i].getBytes(StandardCharsets.UTF_8);
      total += 4 + encoded[i].length;
    }
    byte[] out = new byte[total];
    int at = 0;
    for (byte[] bytes : encoded) {
      int n = bytes.length;
      out[at] = (byte) (n >>> 24);
      out[at + 1] = (byte) (n >>> 16);
      out[at + 2] = (byte) (n >>> 8);
      out[at + 3] = (byte) n;
      System.arraycopy(bytes, 0, out, at + 4, n);
      at += 4 + n;
    }
    return out;
  }

  /** The associated data that binds a value ciphertext to its secret (id and name) and version. */
  public static byte[] forValue(long secretId, String name, int version) {
    return of("keyturn/value/v2", Long.toString(secretId), name, Integer.toString(version));
  }

  /** The associated data that binds a wrapped data key to its secret (id and name) and number. */
  public static byte[] forDataKey(long secretId, String name, int dataKey) {
    return of("keyturn/data-key/v2", Long.toString(secretId), name, Integer.toString(dataKey));
  }

  /** The associated data of the metadata key, wrapped by the root key. */
  public static byte[] forMetadataKey() {
    return of("keyturn/metadata-key/v1");
  }

  /**
   * The associated data of an audit chain key of an earlier root key, kept wrapped by the root key
   * in force so that records it sealed still verify; bound to the chain key's id.
   */
  public static byte[] forAuditKey(String auditKeyId) {
    return of("keyturn/audit-key/v1", auditKeyId);
  }

  /**
   * The associated data of a root key wrapped by another root key (a share-held rotation keeps its
   * two keys each wrapped by the other), bound to both keys' ids.
   */
  public static byte[] forRootKey(String wrappingId, String wrappedId) {
    return of("keyturn/root-key/v1", wrappingId, wrappedId);
  }

  /**
   * The associated data of value ciphertexts written before names were bound (id only). Read only
   * by the migration that re-encrypts them at the first start after the upgrade.
   */
  public static byte[] legacyValue(long secretId, int version) {
    return of("keyturn/value/v1", Long.toString(secretId), Integer.toString(version));
  }

  /** The associated data of data keys wrapped before names were bound; migration only. */
  public static byte[] legacyDataKey(long secretId, int dataKey) {
    return of("keyturn/data-key/v1", Long.toString(secretId), Integer.toString(dataKey));
  }
}
