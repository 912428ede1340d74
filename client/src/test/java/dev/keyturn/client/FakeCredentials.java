package dev.keyturn.client;

import dev.keyturn.api.WireJson;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;

/**
 * A {@link CredentialSource} in memory: tests set the current version, signal a change, and read
 * the heartbeats the DataSource sent. Thread-safe.
 */
final class FakeCredentials implements CredentialSource {
  /** One heartbeat as sent. */
  record Beat(String id, int using, List<Integer> accepting, int failed, Duration ttl) {}

  private final String secret;
  private final List<Beat> beats = new ArrayList<>();
  private final AtomicInteger reads = new AtomicInteger();
  private volatile Current current;
  private volatile Runnable changed = () -> {};
  private volatile boolean departed;
  private volatile boolean closed;

  FakeCredentials(String secret) {
    this.secret = secret;
  }

  /** Makes {@code json} the current value, as version {@code version}, without signalling. */
  FakeCredentials set(int version, String json) {
    JsonNode value = WireJson.mapper().readTree(json);
    current = new Current(version, value);
    return this;
  }

  /** As a change event: the DataSource re-reads the secret on its own thread. */
  void signal() {
    changed.run();
  }

  int reads() {
    return reads.get();
  }

  synchronized List<Beat> beats() {
    return List.copyOf(beats);
  }

  synchronized Beat lastBeat() {
    return beats.get(beats.size() - 1);
  }

  boolean departed() {
    return departed;
  }

  boolean closed() {
    return closed;
  }

  @Override
  public String secret() {
    return secret;
  }

  @Override
  public Current current() {
    reads.incrementAndGet();
    return current;
  }

  @Override
  public void follow(Runnable changed) {
    this.changed = changed;
  }

  @Override
  public synchronized void heartbeat(
      String id, String name, int using, List<Integer> accepting, int failed, Duration ttl) {
    beats.add(new Beat(id, using, List.copyOf(accepting), failed, ttl));
  }

  @Override
  public void depart(String id) {
    departed = true;
  }

  @Override
  public void close() {
    closed = true;
  }
}
