package dev.keyturn.api;

/**
 * The answer of {@code GET /v1/root-key} and {@code POST /v1/root-key/rotate}: the root key in
 * force ({@code rootKeyId}, the one new keys are wrapped by), the rotation's {@code state} ({@code
 * idle}, {@code rotating} or {@code failed}), its {@code from} and {@code to} key ids (empty when
 * idle and none ran since the start), how many data keys this server rewrapped for it ({@code
 * rewrapped}), the key file it wrote or keeps ({@code keyFile}) and a one-line {@code note} (the
 * failure, or what to do next). Never a key.
 */
public record RootKeyStatus(
    String rootKeyId,
    String state,
    String from,
    String to,
    long rewrapped,
    String keyFile,
    String note) {}
