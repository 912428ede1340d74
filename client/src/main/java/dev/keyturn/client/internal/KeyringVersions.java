package dev.keyturn.client.internal;

import dev.keyturn.api.KeyringEntry;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.WireJson;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.keyring.KeyStage;
import dev.keyturn.keyring.KeyVersion;
import java.util.ArrayList;
import java.util.List;

/**
 * The versions of a fetched keyring ({@code GET /v1/keyrings/{name}}) as the keyrings take them.
 */
public final class KeyringVersions {
  private KeyringVersions() {}

  /**
   * @throws KeyturnClientException when the answer holds a stage or value a keyring cannot hold
   */
  public static List<KeyVersion> of(KeyringResponse response) {
    List<KeyVersion> out = new ArrayList<>();
    for (KeyringEntry e :
        response.versions() == null ? List.<KeyringEntry>of() : response.versions()) {
      KeyStage stage;
      try {
        stage = KeyStage.of(e.stage() == null ? "" : e.stage());
      } catch (IllegalArgumentException bad) {
        throw invalid();
      }
      if (e.value() == null || e.version() < 1) {
        throw invalid();
      }
      out.add(
          e.value().isString()
              ? KeyVersion.text(e.version(), stage, e.value().stringValue())
              : KeyVersion.json(
                  e.version(), stage, WireJson.mapper().writeValueAsString(e.value())));
    }
    if (out.isEmpty()) {
      throw invalid();
    }
    return out;
  }

  /** The members of an SDK {@link dev.keyturn.client.Keyring} as the keyrings take them. */
  public static List<KeyVersion> of(dev.keyturn.client.Keyring keyring) {
    List<KeyVersion> out = new ArrayList<>();
    for (dev.keyturn.client.SecretValue v : keyring.versions()) {
      KeyStage stage = KeyStage.of(v.stage().wireName());
      out.add(
          v.isJson()
              ? KeyVersion.json(v.version(), stage, v.reveal())
              : KeyVersion.text(v.version(), stage, v.reveal()));
    }
    if (out.isEmpty()) {
      throw invalid();
    }
    return out;
  }

  private static KeyturnClientException invalid() {
    return new KeyturnClientException(
        200, "invalid_response", "the server's answer is not what this client expects");
  }
}
