package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.crypto.Aad;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code page_token} of {@code GET /v1/secrets}: where the next page starts, sealed so that it
 * reveals nothing and serves no one else. A token is base64url of a format byte, a 12-byte nonce
 * and the AES-256-GCM ciphertext of its expiry and the last name the caller was shown, under a key
 * derived from the root key; its associated data is the calling token's id and the query's prefix,
 * so a token is refused for another caller, another prefix, after {@link #LIFETIME}, after any
 * change to its bytes, and after the root key changes. Thread-safe.
 */
final class PageTokens {
  static final Duration LIFETIME = Duration.ofHours(1);
  static final String KEY_LABEL = "keyturn page token v1";
  private static final byte FORMAT = 1;
  private static final int NONCE = 12;

  private final SecretKeySpec key;
  private final SecureRandom random;
  private final Clock clock;

  /** {@code key} is 32 bytes derived from the root key for this purpose ({@link #KEY_LABEL}). */
  PageTokens(byte[] key, SecureRandom random, Clock clock) {
    if (key.length != 32) {
      throw new IllegalArgumentException("a page token key is 32 bytes");
    }
    this.key = new SecretKeySpec(key.clone(), "AES");
    this.random = requireNonNull(random, "random");
    this.clock = requireNonNull(clock, "clock");
  }

  /** A token for the page after {@code lastShown}, for {@code tokenId} listing {@code prefix}. */
  String seal(String tokenId, String prefix, String lastShown) {
    byte[] name = lastShown.getBytes(StandardCharsets.UTF_8);
    byte[] plain =
        ByteBuffer.allocate(8 + name.length)
            .putLong(clock.instant().plus(LIFETIME).getEpochSecond())
            .put(name)
            .array();
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    byte[] sealed;
    try {
      sealed = crypt(Cipher.ENCRYPT_MODE, nonce, tokenId, prefix, plain, 0, plain.length);
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("AES-GCM failed on a page token", e);
    }
    ByteBuffer out = ByteBuffer.allocate(1 + NONCE + sealed.length);
    out.put(FORMAT).put(nonce).put(sealed);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(out.array());
  }

  /**
   * The last name shown before the page {@code token} asks for.
   *
   * @throws HttpError.ApiException 400 when the token was not issued by this server to this caller
   *     for this prefix, was altered, or has expired
   */
  String open(String token, String tokenId, String prefix) {
    try {
      byte[] raw = Base64.getUrlDecoder().decode(token);
      if (raw.length < 1 + NONCE + 16 + 8 || raw[0] != FORMAT) {
        throw refused();
      }
      byte[] nonce = Arrays.copyOfRange(raw, 1, 1 + NONCE);
      byte[] plain =
          crypt(
              Cipher.DECRYPT_MODE, nonce, tokenId, prefix, raw, 1 + NONCE, raw.length - 1 - NONCE);
      ByteBuffer in = ByteBuffer.wrap(plain);
      if (in.getLong() < clock.instant().getEpochSecond()) {
        throw HttpError.badRequest("page_token has expired; list again from the first page");
      }
      byte[] name = new byte[in.remaining()];
      in.get(name);
      return SecretName.of(new String(name, StandardCharsets.UTF_8)).value();
    } catch (AEADBadTagException | IllegalArgumentException | KeyturnException.InvalidInput e) {
      throw refused();
    } catch (GeneralSecurityException e) {
      throw new KeyturnException.CryptoFailure("AES-GCM failed on a page token", e);
    }
  }

  private byte[] crypt(
      int mode, byte[] nonce, String tokenId, String prefix, byte[] input, int offset, int length)
      throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, key, new GCMParameterSpec(128, nonce));
    c.updateAAD(Aad.of("keyturn/page-token/v1", tokenId, prefix));
    return c.doFinal(input, offset, length);
  }

  private static HttpError.ApiException refused() {
    return HttpError.badRequest(
        "page_token is not one this server issued to this token for this prefix");
  }
}
