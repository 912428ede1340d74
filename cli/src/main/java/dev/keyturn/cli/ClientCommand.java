package dev.keyturn.cli;

import dev.keyturn.api.WireJson;
import dev.keyturn.client.internal.WireClient;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What every command that talks to the server shares, at any depth below {@code keyturn}: the world
 * ({@link Io}), the client, and JSON output.
 */
abstract class ClientCommand {
  @Spec CommandSpec spec;

  KeyturnCli root() {
    return (KeyturnCli) spec.root().userObject();
  }

  Io io() {
    return root().io;
  }

  Optional<String> addr() {
    return Optional.ofNullable(root().addr);
  }

  WireClient client() {
    return root().opened(ClientSettings.client(io(), addr(), root().insecureHttp));
  }

  void printJson(Object response) {
    io().out().println(WireJson.mapper().writeValueAsString(response));
  }
}
