package dev.keyturn.api;

import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.cfg.JsonNodeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one JSON configuration of the wire: snake_case field names, unknown fields refused (a typo in
 * a request is an error, not a silent no-op), a key given twice refused at any depth, nothing
 * allowed after the document, and numbers kept with every digit (a JSON number with a fraction or
 * an exponent is read as a {@code BigDecimal}, trailing zeros kept, so {@code 1e400}, {@code
 * 1.5e-400} and long decimals survive a round trip; only an exponent's spelling may change, {@code
 * 1e400} to {@code 1E+400}), and a number with a fraction refused where a whole number is expected
 * ({@code "using": 2.5} is an error, not version 2). Server and client use the same mapper, so both
 * sides read what the other writes. The mapper is thread-safe.
 */
public final class WireJson {
  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(JsonNodeFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  private WireJson() {}

  public static JsonMapper mapper() {
    return MAPPER;
  }
}
