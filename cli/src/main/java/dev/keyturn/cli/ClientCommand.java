package dev.keyturn.cli;

import dev.keyturn.api.WireJson;
import dev.keyturn.client.KeyturnClient;
import java.util.Optional;
import picocli.CommandLine.ParentCommand;

/** What every command that talks to the server shares: the client and JSON output. */
abstract class ClientCommand {
  @ParentCommand KeyturnCli root;

  Io io() {
    return root.io;
  }

  KeyturnClient client() {
    return ClientSettings.client(root.io, Optional.ofNullable(root.addr));
  }

  void printJson(Object response) {
    io().out().println(WireJson.mapper().writeValueAsString(response));
  }
}
