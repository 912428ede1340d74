package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Settings;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The server's settings, resolved once at start (flag, then {@code KEYTURN_X}, then {@code
 * KEYTURN_X_FILE}, then default) and then frozen.
 *
 * @param storeUrl a JDBC URL; defaults to SQLite in the data directory
 * @param rootKey the root key in base64 when given by environment; else it lives in the data dir
 */
public record ServerConfig(
    Path dataDir, String host, int port, String storeUrl, Optional<String> rootKey) {
  static final String DEFAULT_LISTEN = "127.0.0.1:8270";

  public ServerConfig {
    requireNonNull(dataDir, "dataDir");
    requireNonNull(host, "host");
    requireNonNull(storeUrl, "storeUrl");
    requireNonNull(rootKey, "rootKey");
  }

  public static ServerConfig resolve(
      Optional<Path> dataFlag,
      Optional<String> listenFlag,
      Optional<String> storeFlag,
      Settings env) {
    Path data =
        dataFlag.or(() -> env.get("KEYTURN_DATA").map(Path::of)).orElse(Path.of("keyturn-data"));
    data = data.toAbsolutePath().normalize();
    String listen = listenFlag.or(() -> env.get("KEYTURN_LISTEN")).orElse(DEFAULT_LISTEN);
    int colon = listen.lastIndexOf(':');
    if (colon < 1 || !listen.substring(colon + 1).matches("[0-9]{1,5}")) {
      throw new KeyturnException.InvalidInput(
          "--listen takes HOST:PORT, e.g. 127.0.0.1:8270, not '" + listen + "'");
    }
    int port = Integer.parseInt(listen.substring(colon + 1));
    if (port > 65535) {
      throw new KeyturnException.InvalidInput("port " + port + " is out of range");
    }
    String host = listen.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    String store =
        storeFlag
            .or(() -> env.get("KEYTURN_STORE"))
            .orElse("jdbc:sqlite:" + data.resolve("keyturn.db"));
    return new ServerConfig(data, host, port, store, env.get("KEYTURN_ROOT_KEY"));
  }

  /** The store URL with any password masked, for logs. */
  String maskedStoreUrl() {
    return storeUrl
        .replaceAll("(?i)(password=)[^&;]*", "$1***")
        .replaceAll("//([^/@:]*):[^/@]*@", "//$1:***@");
  }

  @Override
  public String toString() {
    return "ServerConfig[data="
        + dataDir
        + ", listen="
        + host
        + ":"
        + port
        + ", store="
        + maskedStoreUrl()
        + ", rootKey="
        + (rootKey.isPresent() ? "[from environment]" : "[data dir]")
        + "]";
  }
}
