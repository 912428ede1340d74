package dev.keyturn.server;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RootKeyChange;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.spi.SettingStore;
import java.util.Arrays;
import java.util.Base64;

/**
 * The audit chain keys of earlier root keys ({@link RootKeyChange#AUDIT_KEYS_SETTING}): each
 * wrapped by the root key in force and bound to its id, so that records sealed before a root key
 * rotation verify after the old key file is gone. A line that does not open, or opens to a key of
 * another id, stops the start: the setting was edited.
 */
final class AuditKeys {
  private AuditKeys() {}

  /** The envelope and audit chain built from a start's root keys. */
  record Opened(Envelope envelope, AuditChain chain) {}

  /**
   * The envelope and audit chain for {@code current} and, during a rotation, {@code next} (which
   * then wraps and seals), with the stored chain keys of earlier root keys. The envelope owns the
   * keys from now on.
   */
  static Opened open(
      SettingStore settings,
      dev.keyturn.core.crypto.RootKey current,
      java.util.Optional<dev.keyturn.core.crypto.RootKey> next,
      java.security.SecureRandom random) {
    Envelope envelope = new Envelope(current, random);
    AuditChain chain = new AuditChain(current);
    if (next.isPresent()) {
      envelope.beginWrapping(next.get());
      chain.sealWith(next.get());
    }
    try {
      load(settings, envelope, chain);
    } catch (RuntimeException e) {
      envelope.destroy();
      chain.destroy();
      throw e;
    }
    return new Opened(envelope, chain);
  }

  /** Adds every stored chain key to {@code chain}. */
  static void load(SettingStore settings, Envelope envelope, AuditChain chain) {
    String stored = settings.setting(RootKeyChange.AUDIT_KEYS_SETTING).orElse("");
    for (String line : stored.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split(" ", -1);
      byte[] key = null;
      try {
        if (parts.length != 2 || !parts[0].matches("ak-[0-9a-f]{16}")) {
          throw new KeyturnException.CryptoFailure("not an audit key line");
        }
        key = envelope.unwrapAuditKey(parts[0], Base64.getDecoder().decode(parts[1]));
        if (!chain.addChainKey(key).equals(parts[0])) {
          throw new KeyturnException.CryptoFailure("the key does not have its line's id");
        }
      } catch (KeyturnException.CryptoFailure | IllegalArgumentException e) {
        throw new KeyturnException.IntegrityFailure(
            "setting " + RootKeyChange.AUDIT_KEYS_SETTING,
            "an audit chain key of an earlier root key does not open under the root key given"
                + " (it was edited outside Keyturn)",
            e);
      } finally {
        if (key != null) {
          Arrays.fill(key, (byte) 0);
        }
      }
    }
  }
}
