package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.WireJson;
import java.time.Duration;
import java.util.List;

/**
 * {@link CredentialSource} over a {@link KeyturnClient}: {@link KeyturnClient#get}, {@link
 * KeyturnClient#watch} of the secret's name, and {@link KeyturnClient#registerConsumer} (kind
 * {@link ConsumerKind#SDK}). The only place {@link RotatingDataSource} touches the client. A
 * version that could not be switched to is not sent: {@link ConsumerRegistration.Holding} has no
 * field for it yet. Thread-safe.
 */
final class KeyturnCredentials implements CredentialSource {
  private final KeyturnClient client;
  private final String secret;
  private volatile KeyturnWatch watch;

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
    SecretValue read = client.get(secret);
    return new Current(
        read.version(),
        read.isJson() ? WireJson.mapper().readTree(read.reveal()) : WireJson.mapper().nullNode());
  }

  @Override
  public void follow(Runnable changed) {
    requireNonNull(changed, "changed");
    watch =
        client.watch(
            secret,
            new ChangeListener() {
              @Override
              public void changed(SecretChange change) {
                if (secret.equals(change.name()) && change.stage() == Stage.CURRENT) {
                  changed.run();
                }
              }

              @Override
              public void reset() {
                changed.run();
              }

              @Override
              public void ready() {
                changed.run(); // after a reconnection too: anything missed meanwhile
              }
            });
  }

  @Override
  public void heartbeat(
      String id, String name, int using, List<Integer> accepting, int failed, Duration ttl) {
    client.registerConsumer(
        ConsumerRegistration.builder(id)
            .name(name)
            .kind(ConsumerKind.SDK)
            .holding(secret, using, accepting)
            .ttl(ttl)
            .build());
  }

  @Override
  public void depart(String id) {
    client.departConsumer(id);
  }

  @Override
  public void close() {
    KeyturnWatch w = watch;
    if (w != null) {
      w.close();
    }
  }
}
