package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.WireJson;
import java.time.Duration;
import java.util.List;

/**
 * {@link CredentialSource} over a {@link KeyturnClient}: {@link KeyturnClient#get}, {@link
 * KeyturnClient#watch} of the secret's name, and {@link KeyturnClient#registerConsumer} (kind
 * {@link ConsumerKind#SDK}), a version it could not switch to sent as {@code failed}. The only
 * place {@link RotatingDataSource} touches the client. Thread-safe.
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
    ConsumerRegistration.Builder registration =
        ConsumerRegistration.builder(id).name(name).kind(ConsumerKind.SDK).ttl(ttl);
    if (failed > using) { // the server takes only a newer version as failed
      registration.holdingFailed(secret, using, accepting, failed);
    } else {
      registration.holding(secret, using, accepting);
    }
    client.registerConsumer(registration.build());
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
