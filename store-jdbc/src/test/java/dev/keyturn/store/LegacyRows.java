package dev.keyturn.store;

import dev.keyturn.core.crypto.Aad;
import dev.keyturn.core.crypto.RootKey;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Writes secret rows as the code before name binding did: data keys and values sealed with the
 * id-only associated data ({@code keyturn/data-key/v1}, {@code keyturn/value/v1}), no MAC, no
 * generation. A test fixture for the migration; the ciphertext format is Envelope's.
 */
final class LegacyRows {
  private final SecureRandom random = new SecureRandom();
  private final RootKey rootKey;
  private final byte[] rootBytes;

  LegacyRows(RootKey rootKey) {
    this.rootKey = rootKey;
    this.rootBytes = Base64.getDecoder().decode(rootKey.toBase64Line().strip());
  }

  /** Inserts secret {@code id} named {@code name} with one current version per value. */
  void insertSecret(Connection c, long id, String name, String... values) throws SQLException {
    byte[] dataKey = new byte[32];
    random.nextBytes(dataKey);
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO secrets (id, name, data_key, destroyed, live, created_at, updated_at)"
                + " VALUES (?, ?, ?, 0, 1, 1000, 1000)")) {
      ps.setLong(1, id);
      ps.setString(2, name);
      ps.setBytes(3, seal(rootBytes, rootKey.id(), dataKey, Aad.legacyDataKey(id, 1)));
      ps.executeUpdate();
    }
    for (int n = 1; n <= values.length; n++) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO versions (secret_id, number, stage, value_type, created_at, created_by,"
                  + " accept_until, fingerprint, ciphertext) VALUES (?, ?, ?, 'string', 1000,"
                  + " 'root', NULL, ?, ?)")) {
        ps.setLong(1, id);
        ps.setInt(2, n);
        ps.setString(3, n == values.length ? "current" : "retired");
        ps.setString(4, "00".repeat(16));
        ps.setBytes(
            5,
            seal(
                dataKey,
                "dk-1",
                values[n - 1].getBytes(StandardCharsets.UTF_8),
                Aad.legacyValue(id, n)));
        ps.executeUpdate();
      }
    }
  }

  private byte[] seal(byte[] key, String keyId, byte[] plaintext, byte[] aad) {
    try {
      byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
      byte[] nonce = new byte[12];
      random.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(1);
      out.write(id.length);
      out.writeBytes(id);
      cipher.updateAAD(out.toByteArray());
      cipher.updateAAD(aad);
      out.writeBytes(nonce);
      out.writeBytes(cipher.doFinal(plaintext));
      return out.toByteArray();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }
}
