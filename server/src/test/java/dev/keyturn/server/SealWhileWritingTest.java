package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.crypto.RootKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seal that lands among writes in flight: every write that was answered 200 reads back after K
 * shares open the server again (none was wrapped under a zeroed key, none lost), writes during the
 * seal get 503, and the audit chain still verifies.
 */
class SealWhileWritingTest {
  @TempDir Path dir;

  @Test
  void seal_amongWrites_everyAcknowledgedWriteReadsBackAfterUnseal() throws Exception {
    Path data = dir.resolve("data");
    RunningServer.start(data).close();
    RootKey key = RootKey.fromBase64(Files.readString(data.resolve("root.key")));
    List<String> shares = key.split(3, 3, new SecureRandom());

    try (RunningServer server =
        RunningServer.start(
            RunningServer.config(data, Optional.empty()).toBuilder().unsealShares(3).build(),
            Clock.systemUTC())) {
      String token = server.rootToken();
      Map<String, String> acknowledged = new ConcurrentHashMap<>();
      List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> writers = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        int writer = t;
        writers.add(
            Thread.ofPlatform()
                .start(() -> {
                  for (int i = 0; !stop.get(); i++) {
                    // A new secret each time: each needs a new data key wrapped by the root key.
                    String name = "load/w" + writer + "/s" + i;
                    String value = "value-" + writer + "-" + i;
                    RunningServer.Raw r =
                        server.raw(
                            "PUT",
                            "/v1/secrets/" + name,
                            token,
                            ("{\"value\": \"" + value + "\"}").getBytes(StandardCharsets.UTF_8));
                    statuses.add(r.status());
                    if (r.status() == 200) {
                      acknowledged.put(name, value);
                    }
                  }
                }));
      }
      // Seal once the writers are well under way: on a loaded machine no fixed pause is enough.
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
      while (acknowledged.size() < 24 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }

      RunningServer.Raw sealed = server.raw("POST", "/v1/seal", token, "{}".getBytes());
      Thread.sleep(300);
      stop.set(true);
      for (Thread w : writers) {
        w.join();
      }

      assertThat(sealed.status()).as(sealed.body()).isEqualTo(200);
      assertThat(sealed.body()).contains("\"sealed\":true").contains("\"unseal_with\":\"shares\"");
      assertThat(statuses).contains(503);
      assertThat(statuses).allMatch(s -> s == 200 || s == 503, "only written or sealed");
      for (String share : shares) {
        RunningServer.Raw r =
            server.raw(
                "POST",
                "/v1/unseal",
                null,
                ("{\"share\": \"" + share + "\"}").getBytes(StandardCharsets.US_ASCII));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
      }
      assertThat(acknowledged).hasSizeGreaterThan(6);
      for (Map.Entry<String, String> e : acknowledged.entrySet()) {
        RunningServer.Raw read = server.raw("GET", "/v1/secrets/" + e.getKey(), token, null);
        assertThat(read.status()).as(e.getKey() + ": " + read.body()).isEqualTo(200);
        assertThat(read.body()).contains("\"value\":\"" + e.getValue() + "\"");
      }
      RunningServer.Raw verify = server.raw("GET", "/v1/audit/verify", token, null);
      assertThat(verify.body()).as(verify.body()).contains("\"ok\":true");
    }
  }
}
