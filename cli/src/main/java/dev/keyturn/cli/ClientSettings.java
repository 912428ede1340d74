package dev.keyturn.cli;

import dev.keyturn.client.KeyturnClient;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Settings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the CLI finds the server and its token. Address: {@code --addr}, then {@code
 * KEYTURN_ADDR[_FILE]}, then http://127.0.0.1:8270. Token: {@code KEYTURN_TOKEN}, then {@code
 * KEYTURN_TOKEN_FILE}, then {@code ~/.keyturn/token} (written by {@code keyturn login}), then
 * {@code root.token} in the data folder ({@code KEYTURN_DATA}, default ./keyturn-data) when it
 * exists. HTTPS trusts the JDK's CAs, or the PEM CA certificates named by {@code KEYTURN_CACERT}.
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
    Path data =
        Optional.ofNullable(io.env().get("KEYTURN_DATA"))
            .map(d -> io.workingDir().resolve(d))
            .orElse(io.workingDir().resolve("keyturn-data"));
    Path root = data.resolve("root.token");
    if (Files.isReadable(root)) {
      return Optional.of(read(root));
    }
    return Optional.empty();
  }

  static Path loginFile(Io io) {
    return io.home().resolve(".keyturn").resolve("token");
  }

  static KeyturnClient client(Io io, Optional<String> addrFlag) {
    return client(io, addrFlag, token(io));
  }

  /** A client for {@code token} (for login, which checks a token before saving it). */
  static KeyturnClient client(Io io, Optional<String> addrFlag, Optional<String> token) {
    KeyturnClient.Builder builder;
    try {
      builder = KeyturnClient.builder().address(address(io, addrFlag));
    } catch (IllegalArgumentException e) {
      throw new KeyturnException.InvalidInput(e.getMessage());
    }
    token.ifPresent(builder::token);
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
