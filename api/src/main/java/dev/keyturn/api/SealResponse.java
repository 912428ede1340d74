package dev.keyturn.api;

/**
 * The answer of {@code POST /v1/seal}: the server is sealed and holds no root or data key; {@code
 * unsealWith} is {@code "shares"} ({@code threshold} shares with {@code keyturn unseal} open it) or
 * {@code "restart"} (started without {@code --unseal-shares}: only a restart with the root key
 * opens it); {@code note} says what still holds the key outside the server's memory, if anything
 * (the {@code KEYTURN_ROOT_KEY} environment variable, a key file).
 */
public record SealResponse(
    boolean sealed, String rootKeyId, String unsealWith, int threshold, String note) {}
