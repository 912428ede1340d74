package dev.keyturn.server;

/**
 * A route's answer that holds nothing secret and may be cached by anyone for {@code maxAgeSeconds}
 * ({@code Cache-Control: public, max-age=N}), already encoded as JSON. Every other answer is {@code
 * no-store}.
 */
record PublicDocument(byte[] json, int maxAgeSeconds) {}
