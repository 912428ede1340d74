package dev.keyturn.api;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one JSON configuration of the wire: snake_case field names, unknown fields refused (a typo in
 * a request is an error, not a silent no-op). Server and client use the same mapper, so both sides
 * read what the other writes. The mapper is thread-safe.
 */
public final class WireJson {
  private static final JsonMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .build();

  private WireJson() {}

  public static JsonMapper mapper() {
    return MAPPER;
  }
}
