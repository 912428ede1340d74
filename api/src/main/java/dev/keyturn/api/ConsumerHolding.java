package dev.keyturn.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What a consumer holds of one secret: {@code using}, the version it signs, encrypts or connects
 * with; {@code accepting}, the versions it verifies or decrypts with; {@code failed} (left out when
 * absent), a newer version it tried to apply and could not (an agent whose reload or health check
 * failed put the previous file back and keeps using {@code using}).
 */
public record ConsumerHolding(
    String name,
    Integer using,
    List<Integer> accepting,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer failed) {

  /** A holding with no failed version. */
  public ConsumerHolding(String name, Integer using, List<Integer> accepting) {
    this(name, using, accepting, null);
  }
}
