package dev.keyturn.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The values a verifier or decrypter should accept now, newest first. With {@code ?rule=true},
 * {@code generator} and {@code grace} come from the secret's rotation rule: the JWT keyring takes
 * its algorithm from the generator and bounds token lifetimes by the grace. They are left out
 * otherwise (and without a rule), so a client that refuses unknown fields reads the answer as
 * before.
 */
public record KeyringResponse(
    String name,
    List<KeyringEntry> versions,
    @JsonInclude(JsonInclude.Include.NON_NULL) String generator,
    @JsonInclude(JsonInclude.Include.NON_NULL) String grace) {

  /** A keyring without rule details. */
  public KeyringResponse(String name, List<KeyringEntry> versions) {
    this(name, versions, null, null);
  }
}
