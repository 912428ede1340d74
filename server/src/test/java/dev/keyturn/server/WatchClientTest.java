package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.VersionEvent;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.KeyturnUnauthorizedException;
import dev.keyturn.client.internal.Watch;
import dev.keyturn.client.internal.WatchListener;
import dev.keyturn.client.internal.WireClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client's {@link WireClient#watch} against a real server: events arrive, a restart of the
 * server mid-stream reconnects and resumes without a gap, a later watch resumes from an earlier
 * one's last id, and a revoked token ends the watch with its 401 instead of reconnecting.
 */
class WatchClientTest {
  private static final String CANARY = "canary-watch-client-8c2f";

  @TempDir Path dir;

  /** Records every listener call as one line, in order. */
  static final class Recorder implements WatchListener {
    final BlockingQueue<String> calls = new LinkedBlockingQueue<>();
    final AtomicInteger disconnects = new AtomicInteger();

    @Override
    public void version(String id, VersionEvent event) {
      calls.add(event.name() + "#" + event.version() + " " + event.stage());
    }

    @Override
    public void reset(String id) {
      calls.add("reset");
    }

    @Override
    public void reconnected() {
      calls.add("reconnected");
    }

    @Override
    public void ready() {
      calls.add("ready");
    }

    @Override
    public void disconnected(KeyturnClientException cause, Duration retryIn) {
      disconnects.incrementAndGet();
      assertThat(cause.getMessage()).doesNotContain(CANARY);
    }

    /** The calls up to and including {@code last}. */
    List<String> until(String last) throws InterruptedException {
      List<String> got = new ArrayList<>();
      while (true) {
        String call = calls.poll(30, TimeUnit.SECONDS);
        assertThat(call).as("waiting for " + last + " after " + got).isNotNull();
        got.add(call);
        if (call.equals(last)) {
          return got;
        }
      }
    }
  }

  private static void put(RunningServer server, String name, String value) {
    server.client().put(name, new PutSecretRequest(value, null, null, null, null));
  }

  @Test
  void watch_eventsArrive_filteredByPrefix_withoutValues() throws Exception {
    try (RunningServer server = RunningServer.start(dir.resolve("a"))) {
      WireClient client = server.client(server.token("list:c1/dev/*"));
      Recorder seen = new Recorder();
      try (Watch watch = client.watch("c1/dev", Optional.empty(), seen)) {
        seen.until("ready");

        put(server, "c1/prod/KEY", CANARY);
        put(server, "c1/dev/KEY", CANARY);
        List<String> got = seen.until("c1/dev/KEY#1 current");

        assertThat(got).containsExactly("c1/dev/KEY#1 current");
        assertThat(watch.lastEventId()).isPresent();
        assertThat(watch.isOpen()).isTrue();
      }
    }
  }

  @Test
  void serverRestartMidStream_reconnectsWithLastEventId_andMissesNothing() throws Exception {
    Path data = dir.resolve("b");
    RunningServer first = RunningServer.start(data);
    int port = first.port();
    String token = first.token("read:c2/*");
    WireClient client =
        WireClient.builder().address("http://127.0.0.1:" + port).token(token).build();
    Recorder seen = new Recorder();
    try (Watch watch = client.watch("c2", Optional.empty(), seen)) {
      seen.until("ready");
      put(first, "c2/A", "a1");
      seen.until("c2/A#1 current");

      first.close();
      try (RunningServer second =
          RunningServer.start(
              RunningServer.config(data, Optional.empty()).toBuilder().port(port).build(),
              Clock.systemUTC())) {
        put(second, "c2/B", "b1");
        // B may be replayed after the reconnection or arrive live after it; either way once.
        List<String> got = seen.until("c2/B#1 current");
        put(second, "c2/C", "c1");
        got.addAll(seen.until("c2/C#1 current"));

        assertThat(got).contains("reconnected").doesNotContain("reset");
        assertThat(got.stream().filter(c -> c.startsWith("c2/")))
            .containsExactly("c2/B#1 current", "c2/C#1 current");
        assertThat(seen.disconnects.get()).isPositive();
        assertThat(watch.isOpen()).isTrue();
      }
    }
  }

  @Test
  void laterWatch_resumesFromAnEarlierWatchsLastEventId() throws Exception {
    try (RunningServer server = RunningServer.start(dir.resolve("c"))) {
      WireClient client = server.client(server.token("read:c3/*"));
      Recorder seen = new Recorder();
      Optional<String> last;
      try (Watch watch = client.watch("c3", Optional.empty(), seen)) {
        seen.until("ready");
        put(server, "c3/A", "a1");
        seen.until("c3/A#1 current");
        last = watch.lastEventId();
      }
      put(server, "c3/B", "b1");

      Recorder again = new Recorder();
      try (Watch watch = client.watch("c3", last, again)) {
        // B is replayed before ready, or (when the server had not read it from the table yet)
        // follows live just after it.
        List<String> got = again.until("c3/B#1 current");
        if (!got.contains("ready")) {
          got.addAll(again.until("ready"));
        }

        assertThat(got).containsExactlyInAnyOrder("c3/B#1 current", "ready");
      }
    }
  }

  @Test
  void revokedToken_endsTheWatchWith401_withoutAReconnectLoop() throws Exception {
    try (RunningServer server = RunningServer.start(dir.resolve("d"))) {
      String token = server.token("read:c4/*");
      String id = server.client(token).whoami().tokenId();
      Recorder seen = new Recorder();
      Watch watch = server.client(token).watch("c4", Optional.empty(), seen);
      seen.until("ready");

      server.client().revokeToken(id);

      assertThatThrownBy(watch::await)
          .isInstanceOf(KeyturnUnauthorizedException.class)
          .hasMessageStartingWith("watch: ")
          .hasMessageNotContaining(token);
      assertThat(watch.isOpen()).isFalse();
      assertThat(seen.disconnects.get()).as("one drop, then the 401").isLessThanOrEqualTo(1);
    }
  }

  @Test
  void unknownToken_failsAtOnce() throws Exception {
    try (RunningServer server = RunningServer.start(dir.resolve("e"))) {
      Recorder seen = new Recorder();
      Watch watch =
          server.client("kt_not_a_token_0000000000000000").watch("", Optional.empty(), seen);

      assertThatThrownBy(watch::await).isInstanceOf(KeyturnUnauthorizedException.class);
      assertThat(seen.disconnects.get()).isZero();
    }
  }
}
