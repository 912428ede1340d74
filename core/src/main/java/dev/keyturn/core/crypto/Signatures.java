package dev.keyturn.core.crypto;

import dev.keyturn.core.KeyturnException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature Keyturn puts on the HTTP calls it makes (webhook targets, notifications): {@code
 * X-Keyturn-Signature: sha256=<hex>}, the HMAC-SHA256 of {@code timestamp + "." + body} under the
 * signing key's bytes, and {@code X-Keyturn-Timestamp: <unix seconds>}. Byte-identical to {@code
 * printf '%s.%s' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$KEY"}.
 */
public final class Signatures {
  public static final String TIMESTAMP_HEADER = "X-Keyturn-Timestamp";
  public static final String SIGNATURE_HEADER = "X-Keyturn-Signature";

  private Signatures() {}

  /** {@code sha256=<hex>} for {@code timestamp} and {@code body} under {@code key}. */
  public static String sign(byte[] key, long timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("HMAC-SHA256 is not available", e);
    }
  }

  /** True if {@code signature} is right for the rest; compared in constant time. */
  public static boolean verify(byte[] key, long timestamp, byte[] body, String signature) {
    return MessageDigest.isEqual(
        sign(key, timestamp, body).getBytes(StandardCharsets.US_ASCII),
        signature.getBytes(StandardCharsets.US_ASCII));
  }
}
