package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ConsumerHolding;
import dev.keyturn.api.ConsumerRequest;
import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.VersionEvent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@link CredentialSource} over a {@link KeyturnClient}: {@code GET /v1/secrets/{name}}, {@code GET
 * /v1/watch?prefix={name}} and {@code PUT /v1/consumers/{id}} (kind {@code sdk}). The only place
 * {@link RotatingDataSource} touches the client. Thread-safe.
 */
final class KeyturnCredentials implements CredentialSource {
  private final KeyturnClient client;
  private final String secret;
  private volatile Watch watch;

  KeyturnCredentials(KeyturnClient client, String secret) {
    this.client = requireNonNull(client, "client");
    this.secret = requireNonNull(secret, "secret");
  }

  @Override
  public String secret() {
    return secret;
  }

  @Override
  public Current current() {
    SecretValueResponse read = client.get(secret);
    return new Current(read.version(), read.value());
  }

  @Override
  public void follow(Runnable changed) {
    requireNonNull(changed, "changed");
    watch =
        client.watch(
            secret,
            Optional.empty(),
            new WatchListener() {
              @Override
              public void version(String id, VersionEvent event) {
                if (secret.equals(event.name()) && "current".equals(event.stage())) {
                  changed.run();
                }
              }

              @Override
              public void reset(String id) {
                changed.run();
              }

              @Override
              public void reconnected() {
                changed.run();
              }
            });
  }

  @Override
  public void heartbeat(
      String id, String name, int using, List<Integer> accepting, int failed, Duration ttl) {
    client.putConsumer(
        id,
        new ConsumerRequest(
            name,
            "sdk",
            List.of(
                new ConsumerHolding(
                    secret, using, List.copyOf(accepting), failed > 0 ? failed : null)),
            (int) ttl.toSeconds()));
  }

  @Override
  public void depart(String id) {
    client.deleteConsumer(id);
  }

  @Override
  public void close() {
    Watch w = watch;
    if (w != null) {
      w.close();
    }
  }
}
