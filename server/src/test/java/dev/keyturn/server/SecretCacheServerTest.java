package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.api.ConsumerInfo;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.RotateRequest;
import dev.keyturn.api.RotationInfo;
import dev.keyturn.api.RuleBody;
import dev.keyturn.client.KeyturnClient;
import dev.keyturn.client.SecretCache;
import dev.keyturn.client.SecretChange;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SecretCache} against a real server: a real rotation ({@code POST /v1/rotate}, overlap with
 * a grace) reaches the cache through the change events, the cache holds the new value and the new
 * keyring before its listener hears of it, and its consumer registration follows.
 */
class SecretCacheServerTest {
  private static final String NAME = "cache-app/prod/HMAC";

  @TempDir Path dir;

  @Test
  void rotation_reachesTheCacheByItsEvents_andItsConsumerRecordFollows() throws Exception {
    try (RunningServer server = RunningServer.start(dir.resolve("data"))) {
      var root = server.client();
      root.put(NAME, new PutSecretRequest(null, null, "hex:32", null, null));
      root.putRule(
          NAME,
          new RuleBody(
              "hex:32",
              "90d",
              null,
              "24h",
              "overlap",
              null,
              null,
              "devops",
              "webhooks",
              "none",
              null,
              null,
              null,
              null,
              null));
      LinkedBlockingQueue<SecretChange> heard = new LinkedBlockingQueue<>();
      LinkedBlockingQueue<Integer> versionSeenByListener = new LinkedBlockingQueue<>();
      String token = server.token("read:cache-app/*");

      try (KeyturnClient client =
              KeyturnClient.builder().address(server.url()).token(token).build();
          SecretCache cache =
              SecretCache.builder(client).prefix("cache-app").consumerId("cache-test-1").build()) {
        cache.onChange(change -> {
          heard.add(change);
          versionSeenByListener.add(cache.get(NAME).version());
        });
        String before = cache.get(NAME).reveal();
        assertThat(cache.keyring(NAME).versionNumbers()).containsExactly(1);
        for (int i = 0; i < 300 && !cache.isConnected(); i++) {
          Thread.sleep(100); // the rotation must come after the stream is up, or no event
        }
        assertThat(cache.isConnected()).as("the event stream is up").isTrue();
        RotationInfo rotation = root.rotate(NAME, new RotateRequest(null, null));
        assertThat(rotation.state()).isEqualTo("finished");

        SecretChange change = heard.poll(30, TimeUnit.SECONDS);
        while (change != null
            && !(change.version() == 2 && change.stage() == dev.keyturn.client.Stage.CURRENT)) {
          change = heard.poll(30, TimeUnit.SECONDS);
        }

        assertThat(change).as("the event of version 2 going current reached the cache").isNotNull();
        assertThat(versionSeenByListener)
            .as("the listener of that event already read version 2 from the cache")
            .contains(2);
        assertThat(cache.get(NAME).version()).isEqualTo(2);
        assertThat(cache.get(NAME).sameAs(before)).isFalse();
        assertThat(cache.get(NAME).sameAs(root.get(NAME).value().stringValue())).isTrue();
        assertThat(cache.keyring(NAME).versionNumbers()).containsExactly(2, 1);
        List<ConsumerInfo> consumers = root.consumers(NAME).consumers();
        assertThat(consumers).extracting(ConsumerInfo::id).containsExactly("cache-test-1");
        assertThat(consumers.get(0).kind()).isEqualTo("sdk");
        assertThat(consumers.get(0).secrets().get(0).using()).isEqualTo(2);
        assertThat(consumers.get(0).secrets().get(0).accepting()).containsExactly(2, 1);
      }
      assertThat(root.consumers(NAME).consumers()).as("departed on close").isEmpty();
    }
  }
}
