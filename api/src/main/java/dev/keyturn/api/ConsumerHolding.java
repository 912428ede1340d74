package dev.keyturn.api;

import java.util.List;

/**
 * What a consumer holds of one secret: {@code using}, the version it signs, encrypts or connects
 * with; {@code accepting}, the versions it verifies or decrypts with.
 */
public record ConsumerHolding(String name, Integer using, List<Integer> accepting) {}
