package dev.keyturn.server;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RootKeyChange;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.Store;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A server started with {@code --unseal-shares K} and no root key: it listens at once, answering
 * health and {@code POST /v1/unseal} only ({@link SealGate}), until K shares rebuild the root key
 * the store records; then the rest of the server is built with that key and the gate opens onto the
 * API, on the same listener. The root key never touches the disk.
 *
 * <p>Through the rotation of a share-held root key the store records both keys, each wrapped by the
 * other ({@link RootKeyChange#KEYS_SETTING}): shares of either one unseal, the other is unwrapped
 * from the store, and the rotation resumes with both.
 */
final class SealedStart {
  private SealedStart() {}

  /**
   * Whether to start sealed: shares are asked for, and neither the environment nor a file holds the
   * key.
   */
  static boolean applies(ServerConfig config) {
    return config.unsealShares() > 0
        && config.rootKey().isEmpty()
        && !Files.exists(
            config.dataDir().resolve(Bootstrap.ROOT_KEY_FILE), LinkOption.NOFOLLOW_LINKS)
        && !RootKeyFiles.nextExists(config.dataDir());
  }

  /**
   * The ids of the root keys whose shares unseal {@code store}: the one it records, or through a
   * share-held key's rotation the old and the new one.
   */
  static List<String> keyIds(Store store) {
    Optional<RootKeyChange> change =
        RootKeyChange.parse(store.settings().setting(RootKeyChange.SETTING));
    if (change.isPresent()) {
      if (store.settings().setting(RootKeyChange.KEYS_SETTING).isEmpty()) {
        throw new Bootstrap.StartupException(
            "a root key rotation from "
                + change.get().from()
                + " to "
                + change.get().to()
                + " of a file-held key is in progress: start with both key files (DATA/root.key"
                + " and DATA/root.key.new), not sealed, and the rotation resumes");
      }
      return List.of(change.get().from(), change.get().to());
    }
    return List.of(
        store
            .settings()
            .setting(Bootstrap.ROOT_KEY_SETTING)
            .orElseThrow(() ->
                new Bootstrap.StartupException(
                    "--unseal-shares: this store records no root key yet. Start it once"
                        + " without --unseal-shares (it makes DATA/root.key), split that key"
                        + " with 'keyturn root-key split', then move root.key away")));
  }

  /**
   * The keys to open {@code store} with, from the key {@code unsealed} that shares rebuilt (owned
   * from now on): that key alone, or through a share-held key's rotation the old one and the new
   * one, the other unwrapped from the store.
   *
   * @throws KeyturnException.CryptoFailure if the store's wrapped keys do not open (edited)
   */
  static RootKeyFiles.Keys keys(Store store, RootKey unsealed) {
    Optional<RootKeyChange> change =
        RootKeyChange.parse(store.settings().setting(RootKeyChange.SETTING));
    Optional<String> wrapped = store.settings().setting(RootKeyChange.KEYS_SETTING);
    if (change.isEmpty() || wrapped.isEmpty()) {
      return new RootKeyFiles.Keys(unsealed, Optional.empty());
    }
    String[] parts = wrapped.get().split(" ", -1);
    try {
      if (parts.length != 2) {
        throw new KeyturnException.CryptoFailure(
            "setting " + RootKeyChange.KEYS_SETTING + " is not two wrapped keys", null);
      }
      Base64.Decoder b64 = Base64.getDecoder();
      if (unsealed.id().equals(change.get().from())) {
        return new RootKeyFiles.Keys(
            unsealed, Optional.of(unsealed.unwrap(change.get().to(), b64.decode(parts[0]))));
      }
      return new RootKeyFiles.Keys(
          unsealed.unwrap(change.get().from(), b64.decode(parts[1])), Optional.of(unsealed));
    } catch (IllegalArgumentException e) {
      unsealed.destroy();
      throw new KeyturnException.CryptoFailure(
          "setting " + RootKeyChange.KEYS_SETTING + " is not base64", null);
    } catch (RuntimeException e) {
      unsealed.destroy();
      throw e;
    }
  }
}
