package dev.keyturn.server;

import dev.keyturn.core.spi.Store;

/**
 * A server started with {@code --unseal-shares K} and no root key: it listens at once, answering
 * health and {@code POST /v1/unseal} only ({@link SealGate}), until K shares rebuild the root key
 * the store records; then the rest of the server is built with that key and the gate opens onto the
 * API, on the same listener. The root key never touches the disk.
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
        && !java.nio.file.Files.exists(
            config.dataDir().resolve(Bootstrap.ROOT_KEY_FILE),
            java.nio.file.LinkOption.NOFOLLOW_LINKS)
        && !RootKeyFiles.nextExists(config.dataDir());
  }

  /** The id of the root key {@code store} records, which the shares must rebuild. */
  static String keyId(Store store) {
    dev.keyturn.core.RootKeyChange.parse(
            store.settings().setting(dev.keyturn.core.RootKeyChange.SETTING))
        .ifPresent(change -> {
          throw new Bootstrap.StartupException(
              "a root key rotation from "
                  + change.from()
                  + " to "
                  + change.to()
                  + " is in progress: start with both key files (DATA/root.key and"
                  + " DATA/root.key.new), not sealed, and the rotation resumes");
        });
    return store
        .settings()
        .setting(Bootstrap.ROOT_KEY_SETTING)
        .orElseThrow(() ->
            new Bootstrap.StartupException(
                "--unseal-shares: this store records no root key yet. Start it once"
                    + " without --unseal-shares (it makes DATA/root.key), split that key"
                    + " with 'keyturn root-key split', then move root.key away"));
  }
}
