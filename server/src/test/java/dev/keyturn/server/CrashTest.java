package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.AuditRecordInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RuleBody;
import dev.keyturn.api.VersionInfo;
import dev.keyturn.client.internal.WireClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real server as a child process, killed with SIGKILL at random moments of rotations whose
 * command target is slow, again and again. After each restart the rotation finishes or rolls back;
 * no version is lost or duplicated; and the target holds the value Keyturn has as current.
 */
class CrashTest {
  private static final String NAME = "crash/app/DB_PASSWORD";
  @TempDir Path dir;

  @Test
  void killAtAnyStep_rotationFinishesOrRollsBack_andTheTargetHoldsAStoredValue() throws Exception {
    Path data = dir.resolve("data");
    Path target = dir.resolve("target.txt");
    Files.writeString(target, "initial");
    Path config = dir.resolve("keyturn.yaml");
    Files.writeString(
        config,
        "commands:\n"
            + "  apply:\n"
            + "    sh: 'sleep 0.4; cat > "
            + target
            + ".tmp && mv "
            + target
            + ".tmp "
            + target
            + "'\n"
            + "  check:\n"
            + "    sh: 'sleep 0.2; cmp -s - "
            + target
            + "'\n");
    ChildServer server = ChildServer.start(data, config);
    WireClient client = server.client();
    client.put(NAME, new PutSecretRequest("initial", null, null, null, null));
    client.putRule(
        NAME,
        new RuleBody(
            "password:24",
            null,
            null,
            null,
            "single-user",
            null,
            Map.of("type", "command", "set-command", "apply", "test-command", "check"),
            null,
            null,
            null,
            20,
            "1s",
            null,
            null,
            null));

    int rounds = 8;
    for (int round = 0; round < rounds; round++) {
      WireClient c = server.client();
      int before = c.rotations(NAME).rotations().size();
      Thread request =
          Thread.ofVirtual()
              .start(() -> {
                try {
                  c.rotate(NAME, new RotateRequest(null, null));
                } catch (RuntimeException e) {
                  // the server was killed under the request
                }
              });
      // Kill at a random moment of the rotation, once it has started (a fresh server on a busy
      // machine may take longer than the shortest delay to reach the start).
      waitUntilStarted(c, before);
      Thread.sleep(ThreadLocalRandom.current().nextInt(0, 850));
      server.kill();
      request.join();

      server = ChildServer.start(data, config);
      WireClient after = server.client();
      RotationInfo last = waitUntilEnded(after);
      assertThat(last.state()).as("round " + round).isIn("finished", "failed");

      List<VersionInfo> versions = after.history(NAME).versions();
      assertThat(versions).extracting(VersionInfo::version).doesNotHaveDuplicates();
      assertThat(versions)
          .extracting(VersionInfo::version)
          .containsExactlyElementsOf(
              java.util.stream.IntStream.rangeClosed(1, versions.size())
                  .boxed()
                  .sorted(java.util.Comparator.reverseOrder())
                  .toList());
      assertThat(versions.stream().filter(v -> v.stage().equals("current"))).hasSize(1);
      assertThat(versions.stream().filter(v -> v.stage().equals("pending"))).isEmpty();
      assertThat(Files.readString(target))
          .as("round " + round + ": the target holds the current value")
          .isEqualTo(after.get(NAME).value().stringValue());
    }
    assertThat(server.client().rotations(NAME).rotations()).hasSizeGreaterThanOrEqualTo(rounds);
    server.kill();
  }

  private static void waitUntilStarted(WireClient client, int before) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (client.rotations(NAME).rotations().size() == before) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the rotation did not start within 60 s");
      }
      Thread.sleep(10);
    }
  }

  /**
   * DESIGN invariant 9 under kill -9: clients write versions as fast as they can from many threads,
   * the server is killed mid-stream, restarted, and killed again. Every version the store kept has
   * its request record and its {@code version.create} record, and the chain verifies.
   */
  @Test
  void killDuringConcurrentWrites_everyStoredVersionHasItsAuditRecords() throws Exception {
    Path data = dir.resolve("writes");
    ChildServer server = ChildServer.start(data);
    int writers = 16;
    int secrets = 12;
    int rounds = 3;
    AtomicInteger acknowledged = new AtomicInteger();
    for (int round = 0; round < rounds; round++) {
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        WireClient c = server.client();
        String name = "crash/writes/S" + (w % secrets);
        threads.add(
            Thread.ofVirtual()
                .start(() -> {
                  try {
                    while (true) {
                      c.put(name, new PutSecretRequest(null, null, "hex:16", null, null));
                      acknowledged.incrementAndGet();
                    }
                  } catch (RuntimeException e) {
                    // the server was killed under the request
                  }
                }));
      }
      int target = (round + 1) * 1000 + ThreadLocalRandom.current().nextInt(200);
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (acknowledged.get() < target && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      server.kill();
      for (Thread t : threads) {
        t.join();
      }
      server = ChildServer.start(data);
    }

    WireClient after = server.client();
    int stored = 0;
    for (int i = 0; i < secrets; i++) {
      String name = "crash/writes/S" + i;
      Set<Integer> versions = new HashSet<>();
      after.history(name).versions().forEach(v -> versions.add(v.version()));
      stored += versions.size();
      Set<Integer> created = recorded(after, name, "version.create");
      Set<Integer> requested = recorded(after, name, "secret.write");
      assertThat(created)
          .as(name + ": versions without a version.create record")
          .containsAll(versions);
      assertThat(requested).as(name + ": versions without a request record").containsAll(versions);
    }
    assertThat(stored).isGreaterThanOrEqualTo(rounds * 1000);
    assertThat(after.verifyAudit(Optional.empty()).ok()).isTrue();
    server.kill();
  }

  private static Set<Integer> recorded(WireClient client, String name, String action) {
    Set<Integer> out = new HashSet<>();
    for (AuditRecordInfo r :
        client
            .audit(Optional.empty(), Optional.of(name), Optional.of(action), Optional.of(100_000))
            .records()) {
      if (r.result().equals("ok") && r.version() != null) {
        out.add(r.version());
      }
    }
    return out;
  }

  private static RotationInfo waitUntilEnded(WireClient client) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      List<RotationInfo> rotations = client.rotations(NAME).rotations();
      if (!rotations.isEmpty()
          && List.of("finished", "failed").contains(rotations.get(0).state())) {
        return rotations.get(0);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("rotation did not end within 60 s: " + rotations);
      }
      Thread.sleep(200);
    }
  }
}
