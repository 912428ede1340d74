/**
 * Keyrings an application uses with a secret's versions: HMAC signatures (byte-identical to {@code
 * openssl dgst -hmac}), JWTs chosen by {@code kid} with a JWK Set of the public keys, and Fernet
 * tokens with MultiFernet semantics. Signers and encrypters use the current version; verifiers and
 * decrypters try every version the keyring holds.
 *
 * <p>Depends on the JDK and Nimbus JOSE only, and targets Java 17, so that both the server ({@code
 * core}) and the SDK ({@code client}, which must not depend on {@code core}) can use it.
 */
package dev.keyturn.keyring;
