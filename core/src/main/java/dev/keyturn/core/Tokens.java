package dev.keyturn.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Bearer tokens: {@code kt_} followed by 128 random bits in URL-safe base64 (22 characters). Only
 * their SHA-256 is ever stored; a token's public id is separate and random.
 */
public final class Tokens {
  public static final String PREFIX = "kt_";

  private Tokens() {}

  public static String newToken(SecureRandom random) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static String newId(SecureRandom random) {
    byte[] bytes = new byte[8];
    random.nextBytes(bytes);
    return "tok_" + HexFormat.of().formatHex(bytes);
  }

  /** SHA-256 of the token's UTF-8 bytes. */
  public static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new KeyturnException.CryptoFailure("SHA-256 is not available", e);
    }
  }
}
