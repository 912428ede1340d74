package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RootKeyStatus;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.core.crypto.Envelope;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** What the root key rotation tests fill a server with and check afterwards. */
final class RootKeyChecks {
  private RootKeyChecks() {}

  /** Stores {@code count} secrets {@code PREFIXsN} (every fifth with a second version). */
  static void fill(WireClient client, String prefix, int count, Map<String, String> expected)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      writers.add(
          Thread.ofVirtual()
              .start(() -> {
                int i;
                while ((i = next.getAndIncrement()) < count) {
                  String name = prefix + "s" + i;
                  client.put(name, new PutSecretRequest("v-first-" + i, null, null, null, null));
                  String value = "v-" + i;
                  if (i % 5 == 0) {
                    client.put(name, new PutSecretRequest(value, null, null, "1h", null));
                  } else {
                    value = "v-first-" + i;
                  }
                  expected.put(name, value);
                }
              }));
    }
    for (Thread t : writers) {
      t.join();
    }
  }

  /** Waits until the rotation is no longer running. */
  static RootKeyStatus awaitEnd(WireClient client) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    RootKeyStatus status = client.rootKey();
    while (status.state().equals("rotating")) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the rotation did not end within 3 minutes: " + status);
      }
      Thread.sleep(50);
      status = client.rootKey();
    }
    return status;
  }

  static void assertAllRead(WireClient client, Map<String, String> expected) {
    for (Map.Entry<String, String> e : expected.entrySet()) {
      assertThat(client.get(e.getKey()).value().stringValue())
          .as(e.getKey())
          .isEqualTo(e.getValue());
    }
  }

  /** Every data key and the metadata key in the store at {@code url} are wrapped by {@code id}. */
  static void assertWrappedBy(String url, String id) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      int rows = 0;
      try (ResultSet rs =
          s.executeQuery("SELECT data_key FROM secrets WHERE data_key IS NOT NULL")) {
        while (rs.next()) {
          assertThat(Envelope.keyId(rs.getBytes(1))).isEqualTo(id);
          rows++;
        }
      }
      assertThat(rows).isPositive();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT key, value FROM settings WHERE key IN ('metadata-key', 'root-key-id', 'root-key-rotation',"
                  + " 'root-key-rotation-keys')")) {
        int seen = 0;
        while (rs.next()) {
          seen++;
          switch (rs.getString(1)) {
            case "metadata-key" ->
                assertThat(Envelope.keyId(Base64.getDecoder().decode(rs.getString(2))))
                    .isEqualTo(id);
            case "root-key-id" -> assertThat(rs.getString(2)).isEqualTo(id);
            default -> throw new AssertionError("a rotation is still recorded: " + rs.getString(2));
          }
        }
        assertThat(seen).isEqualTo(2);
      }
    }
  }

  static void sqlite(Path data, String statement) throws Exception {
    execute("jdbc:sqlite:" + data.resolve("keyturn.db"), statement);
  }

  static void execute(String url, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.executeUpdate(statement);
    }
  }
}
