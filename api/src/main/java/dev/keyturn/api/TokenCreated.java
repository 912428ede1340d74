package dev.keyturn.api;

import java.util.List;

/** The answer to a token creation: the only time the {@code token} itself is ever shown. */
public record TokenCreated(
    String id, String token, String name, List<String> grants, String createdAt, String expiresAt) {

  /** Never shows the token. */
  @Override
  public String toString() {
    return "TokenCreated[id="
        + id
        + ", token=[redacted], name="
        + name
        + ", grants="
        + grants
        + "]";
  }
}
