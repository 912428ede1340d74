package dev.keyturn.cli;

import dev.keyturn.client.internal.LoopbackHost;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Settings;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the CLI finds the server and its token. Address: {@code --addr}, then {@code
 * KEYTURN_ADDR[_FILE]}, then http://127.0.0.1:8270; a plain {@code http://} address of another
 * machine is refused unless {@code --insecure-http} is given, since the token would cross the
 * network readable. Token: {@code KEYTURN_TOKEN}, then {@code KEYTURN_TOKEN_FILE}, then {@code
 * ~/.keyturn/token} (written by {@code keyturn login}), then {@code root.token} in the data folder
 * ({@code KEYTURN_DATA}, default ./keyturn-data) when it exists. HTTPS trusts the JDK's CAs, or the
 * PEM CA certificates named by {@code KEYTURN_CACERT}.
 */
final class ClientSettings {
  static final String DEFAULT_ADDR = "http://127.0.0.1:8270";

  private ClientSettings() {}

  static String address(Io io, Optional<String> flag) {
    return flag.or(() -> new Settings(io.env()).get("KEYTURN_ADDR")).orElse(DEFAULT_ADDR);
  }

  static Optional<String> token(Io io) {
    Optional<String> fromEnv = new Settings(io.env()).get("KEYTURN_TOKEN");
    if (fromEnv.isPresent()) {
      return fromEnv.map(String::strip);
    }
    Path login = loginFile(io);
    if (Files.isReadable(login)) {
      return Optional.of(read(login));
    }
    Path root = dataTokenFile(io);
    if (Files.isReadable(root)) {
      return Optional.of(read(root));
    }
    return Optional.empty();
  }

  static Path loginFile(Io io) {
    return io.home().resolve(".keyturn").resolve("token");
  }

  /** {@code root.token} in {@code KEYTURN_DATA}, else in ./keyturn-data. */
  private static Path dataTokenFile(Io io) {
    return Optional.ofNullable(io.env().get("KEYTURN_DATA"))
        .map(d -> io.workingDir().resolve(d))
        .orElse(io.workingDir().resolve("keyturn-data"))
        .resolve("root.token");
  }

  /**
   * A client with the token found as the class comment says.
   *
   * @throws KeyturnException.Unauthenticated when there is none; the message names every way to
   *     give one
   */
  static WireClient client(Io io, Optional<String> addrFlag, boolean insecureHttp) {
    Optional<String> token = token(io);
    if (token.isEmpty()) {
      throw new KeyturnException.Unauthenticated(
          "no token: set KEYTURN_TOKEN (or KEYTURN_TOKEN_FILE naming a file that holds it), run"
              + " 'keyturn login', or run where ./keyturn-data/root.token is (looked for "
              + loginFile(io)
              + " and "
              + dataTokenFile(io)
              + ")");
    }
    return client(io, addrFlag, token.get(), insecureHttp);
  }

  /** A client with the token found as for {@link #client(Io, Optional, boolean)}, or none. */
  static WireClient anyTokenClient(Io io, Optional<String> addrFlag, boolean insecureHttp) {
    return client(io, addrFlag, token(io), insecureHttp);
  }

  /** A client for {@code token} (for login, which checks a token before saving it). */
  static WireClient client(Io io, Optional<String> addrFlag, String token, boolean insecureHttp) {
    return client(io, addrFlag, Optional.of(token), insecureHttp);
  }

  private static WireClient client(
      Io io, Optional<String> addrFlag, Optional<String> token, boolean insecureHttp) {
    String address = address(io, addrFlag);
    WireClient.Builder builder;
    try {
      builder = WireClient.builder().address(address);
    } catch (IllegalArgumentException e) {
      throw new KeyturnException.InvalidInput(e.getMessage());
    }
    URI uri = URI.create(address);
    if ("http".equals(uri.getScheme()) && !insecureHttp && !LoopbackHost.is(uri.getHost())) {
      throw new KeyturnException.InvalidInput(
          "refusing to send the token to "
              + uri.getScheme()
              + "://"
              + uri.getRawAuthority()
              + " over plain HTTP: anyone on the network path could read it and use it. Use"
              + " https://, or give --insecure-http if that path is private");
    }
    token.ifPresent(builder::token);
    builder.insecureHttp(insecureHttp);
    Optional<String> caCert = new Settings(io.env()).get("KEYTURN_CACERT");
    if (caCert.isPresent()) {
      try {
        builder.caCertificate(io.workingDir().resolve(caCert.get()));
      } catch (IllegalArgumentException e) {
        throw new KeyturnException.InvalidInput("KEYTURN_CACERT: " + e.getMessage());
      }
    }
    return builder.build();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          "cannot read token file " + file + ": " + e.getMessage());
    }
  }
}
