package dev.keyturn.api;

import java.util.List;

/**
 * The values a verifier or decrypter should accept now, newest first. {@code generator} and {@code
 * grace} come from the secret's rotation rule (null without one): the JWT keyring takes its
 * algorithm from the generator and bounds token lifetimes by the grace.
 */
public record KeyringResponse(
    String name, List<KeyringEntry> versions, String generator, String grace) {

  /** A keyring without rule details. */
  public KeyringResponse(String name, List<KeyringEntry> versions) {
    this(name, versions, null, null);
  }
}
