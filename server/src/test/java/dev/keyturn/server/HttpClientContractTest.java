package dev.keyturn.server;

import dev.keyturn.client.KeyturnClient;
import dev.keyturn.client.testing.KeyturnClientContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's contract suite with {@code HttpKeyturnClient} against a real server (SQLite, an
 * ephemeral port): what {@code FakeKeyturn} is held to, the server does.
 */
class HttpClientContractTest extends KeyturnClientContract {
  @TempDir static Path dir;
  private static RunningServer server;
  private final List<KeyturnClient> clients = new ArrayList<>();

  @BeforeAll
  static void start() {
    server = RunningServer.start(dir.resolve("data"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void closeClients() {
    clients.forEach(KeyturnClient::close);
  }

  @Override
  protected KeyturnClient client(String... grants) {
    String token =
        grants.length == 1 && grants[0].equals("admin:*")
            ? server.rootToken()
            : server.token(grants);
    KeyturnClient c = KeyturnClient.builder().address(server.url()).token(token).build();
    clients.add(c);
    return c;
  }
}
