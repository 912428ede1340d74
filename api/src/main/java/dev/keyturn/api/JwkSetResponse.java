package dev.keyturn.api;

import java.util.List;
import java.util.Map;

/**
 * A JWK Set (RFC 7517) as {@code GET /v1/jwks/{name}} serves it: public keys only, each with {@code
 * kty}, its public parameters ({@code n}, {@code e}; {@code crv}, {@code x}, {@code y}), {@code
 * kid} (the RFC 7638 thumbprint), {@code alg} and {@code use: "sig"}.
 */
public record JwkSetResponse(List<Map<String, String>> keys) {}
