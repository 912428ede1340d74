package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ConsumerHolding;
import dev.keyturn.api.ConsumerRequest;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.PutSecretRequest;
import dev.keyturn.api.VersionEvent;
import dev.keyturn.client.internal.JwtKeyrings;
import dev.keyturn.client.internal.KeyringVersions;
import dev.keyturn.client.internal.Names;
import dev.keyturn.client.internal.ValueJson;
import dev.keyturn.client.internal.Watch;
import dev.keyturn.client.internal.WatchListener;
import dev.keyturn.client.internal.WireClient;
import dev.keyturn.keyring.JwtKeyring;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * The {@link KeyturnClient} over HTTP ({@code java.net.http}). Build it with {@link
 * KeyturnClient#builder()}; thread-safe; close it when done.
 *
 * <p>Retries: reads, consumer heartbeats and compare-and-set writes are sent again after a
 * connection failure or a 503, after a back-off that doubles from {@link Builder#initialBackoff} up
 * to {@link Builder#maxBackoff}, with jitter (a random wait between half the back-off and the whole
 * of it), for at most {@link Builder#maxAttempts} attempts in all; after a 429 they wait the
 * server's {@code Retry-After} instead (up to {@link Builder#maxRetryAfter}; a longer one is thrown
 * at once). A plain write is never sent twice, since each one makes a version: its failure is
 * thrown at once. A compare-and-set write whose answer was lost may have been stored: its retry
 * then gets a {@link KeyturnConflictException} whose {@link
 * KeyturnConflictException#currentVersion()} is the version it stored.
 *
 * <p>Security: the token is sent only in the {@code Authorization} header, is never part of a
 * message or {@code toString}, and is refused for plain {@code http://} to another machine unless
 * {@link Builder#insecureHttp} allows it. Answers' fields this client does not know are ignored, so
 * it keeps working with a newer server.
 */
public final class HttpKeyturnClient implements KeyturnClient {
  private final WireClient wire;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration maxRetryAfter;

  private HttpKeyturnClient(Builder b, WireClient wire) {
    this.wire = wire;
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.maxRetryAfter = b.maxRetryAfter;
  }

  /** A builder; the address defaults to {@code http://127.0.0.1:8270}. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public SecretValue get(String name) {
    Names.secret(name);
    return WireModels.value(retrying(() -> wire.get(name)));
  }

  @Override
  public SecretValue getVersion(String name, int version) {
    Names.secret(name);
    if (version < 1) {
      throw new KeyturnInvalidRequestException("invalid_request", "a version is 1 or more");
    }
    return WireModels.value(retrying(() -> wire.get(name, Optional.of(version), Optional.empty())));
  }

  @Override
  public SecretValue getStage(String name, Stage stage) {
    Names.secret(name);
    requireNonNull(stage, "stage");
    if (stage == Stage.RETIRED) {
      throw new KeyturnInvalidRequestException(
          "invalid_request", "retired versions are read by number (getVersion)");
    }
    return WireModels.value(
        retrying(() -> wire.get(name, Optional.empty(), Optional.of(stage.wireName()))));
  }

  @Override
  public Keyring keyring(String name) {
    Names.secret(name);
    return WireModels.keyring(retrying(() -> wire.keyring(name)));
  }

  @Override
  public JwtKeyring jwtKeyring(String name, JwtOptions options) {
    Names.secret(name);
    requireNonNull(options, "options");
    KeyringResponse ring = retrying(() -> wire.keyringWithRule(name));
    return JwtKeyrings.of(
        name,
        ring.generator(),
        ring.grace(),
        options.algorithmName(),
        KeyringVersions.of(ring),
        options.clock());
  }

  @Override
  public WriteResult put(PutRequest request) {
    requireNonNull(request, "request");
    PutSecretRequest body =
        new PutSecretRequest(
            request.isJson()
                ? null
                : request.revealValue().map(HttpKeyturnClient::utf8).orElse(null),
            request.isJson() ? ValueJson.tree(request.revealValue().orElseThrow()) : null,
            request.generator().orElse(null),
            request.grace().map(g -> g.toSeconds() + "s").orElse(null),
            request.stage().wireName(),
            request.allowPlaceholder() ? Boolean.TRUE : null,
            request.expectedVersion().orElse(null));
    Supplier<WriteResult> send = () -> WireModels.written(wire.put(request.name(), body));
    return request.expectedVersion().isPresent() ? retrying(send) : send.get();
  }

  @Override
  public SecretPage list(String prefix) {
    String p = Names.listPrefix(prefix);
    return WireModels.page(retrying(() -> wire.list(p, Optional.empty())));
  }

  @Override
  public SecretPage list(String prefix, String pageToken) {
    String p = Names.listPrefix(prefix);
    requireNonNull(pageToken, "pageToken");
    return WireModels.page(retrying(() -> wire.list(p, Optional.of(pageToken))));
  }

  @Override
  public KeyturnWatch watch(String prefix, ChangeListener listener) {
    String p = Names.prefix(prefix);
    requireNonNull(listener, "listener");
    Watch watch =
        wire.watch(
            p,
            Optional.empty(),
            new WatchListener() {
              @Override
              public void version(String id, VersionEvent event) {
                listener.changed(WireModels.change(event));
              }

              @Override
              public void reset(String id) {
                listener.reset();
              }

              @Override
              public void ready() {
                listener.ready();
              }

              @Override
              public void disconnected(KeyturnClientException cause, Duration retryIn) {
                listener.disconnected(cause, retryIn);
              }
            });
    return new KeyturnWatch() {
      @Override
      public boolean isOpen() {
        return watch.isOpen();
      }

      @Override
      public void await() throws InterruptedException {
        watch.await();
      }

      @Override
      public void close() {
        watch.close();
      }
    };
  }

  @Override
  public void registerConsumer(ConsumerRegistration registration) {
    requireNonNull(registration, "registration");
    ConsumerRequest body =
        new ConsumerRequest(
            registration.name(),
            registration.kind().wireName(),
            registration.holdings().stream()
                .map(h ->
                    new ConsumerHolding(
                        h.secret(), h.using(), h.accepting(), h.failed().orElse(null)))
                .toList(),
            (int) registration.ttl().toSeconds());
    retrying(() -> wire.putConsumer(registration.id(), body));
  }

  @Override
  public void departConsumer(String id) {
    Names.consumerId(id);
    retrying(() -> wire.deleteConsumer(id));
  }

  /** Stops the HTTP client (Java 21 and later) once its requests have ended. */
  @Override
  public void close() {
    wire.close();
  }

  /** The address; never the token. */
  @Override
  public String toString() {
    return "HttpKeyturnClient[" + wire.address() + "]";
  }

  private static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private <T> T retrying(Supplier<T> call) {
    Duration backoff = initialBackoff;
    for (int attempt = 1; ; attempt++) {
      KeyturnClientException failure;
      Duration wait;
      try {
        return call.get();
      } catch (KeyturnThrottledException e) {
        failure = e;
        wait = e.retryAfter().orElse(jitter(backoff));
      } catch (KeyturnUnavailableException e) {
        failure = e;
        wait = e.retryAfter().orElse(jitter(backoff));
      }
      if (attempt >= maxAttempts
          || wait.compareTo(maxRetryAfter) > 0
          || failure.getCause() instanceof javax.net.ssl.SSLException
          || Thread.currentThread().isInterrupted()) {
        throw failure;
      }
      try {
        Thread.sleep(wait.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure;
      }
      backoff =
          backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
    }
  }

  private static Duration jitter(Duration backoff) {
    long millis = backoff.toMillis();
    return Duration.ofMillis(millis / 2 + ThreadLocalRandom.current().nextLong(millis / 2 + 1));
  }

  /**
   * Builds an {@link HttpKeyturnClient}. Every setting is checked by {@link #build()}; the built
   * client's settings do not change.
   */
  public static final class Builder {
    private final WireClient.Builder wire = WireClient.builder().ignoreUnknownFields(true);
    private int maxAttempts = 4;
    private Duration initialBackoff = Duration.ofMillis(250);
    private Duration maxBackoff = Duration.ofSeconds(8);
    private Duration maxRetryAfter = Duration.ofSeconds(60);

    private Builder() {}

    /**
     * Reads {@code KEYTURN_ADDR} and the token from {@code KEYTURN_TOKEN}, else the file {@code
     * KEYTURN_TOKEN_FILE} names, where set.
     *
     * @throws IllegalArgumentException when the token file cannot be read (named, never quoted)
     */
    public Builder fromEnvironment() {
      String addr = System.getenv("KEYTURN_ADDR");
      if (addr != null && !addr.isBlank()) {
        address(addr.strip());
      }
      String token = System.getenv("KEYTURN_TOKEN");
      String tokenFile = System.getenv("KEYTURN_TOKEN_FILE");
      if (token != null && !token.isBlank()) {
        token(token.strip());
      } else if (tokenFile != null && !tokenFile.isBlank()) {
        tokenFile(Path.of(tokenFile.strip()));
      }
      return this;
    }

    /** The server's address, {@code http(s)://HOST:PORT}. */
    public Builder address(String address) {
      wire.address(address);
      return this;
    }

    /** The bearer token. */
    public Builder token(String token) {
      wire.token(token);
      return this;
    }

    /**
     * Reads the bearer token from {@code file} (the token alone, surrounding white space ignored).
     *
     * @throws IllegalArgumentException when it cannot be read or is empty
     */
    public Builder tokenFile(Path file) {
      requireNonNull(file, "file");
      String token;
      try {
        token = Files.readString(file, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the token file " + file, e);
      }
      if (token.isEmpty()) {
        throw new IllegalArgumentException("the token file " + file + " is empty");
      }
      return token(token);
    }

    /** How long to wait to connect and for each answer (default 30 s). */
    public Builder timeout(Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive");
      }
      wire.timeout(timeout);
      return this;
    }

    /** Trusts the CA certificates (PEM) in {@code file} for HTTPS, instead of the JDK's. */
    public Builder caCertificate(Path file) {
      wire.caCertificate(file);
      return this;
    }

    /**
     * Allows sending the token over plain {@code http://} to a host other than this machine (off by
     * default: anyone on the network path could read the token).
     */
    public Builder insecureHttp(boolean allowed) {
      wire.insecureHttp(allowed);
      return this;
    }

    /** Attempts in all for a retried request, 1 (no retry) to 10 (default 4). */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1 || maxAttempts > 10) {
        throw new IllegalArgumentException("maxAttempts is 1 to 10");
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** The first back-off before a retry (default 250 ms); it doubles each time. */
    public Builder initialBackoff(Duration initialBackoff) {
      this.initialBackoff = positive(initialBackoff, "initialBackoff");
      return this;
    }

    /** The longest back-off between retries (default 8 s). */
    public Builder maxBackoff(Duration maxBackoff) {
      this.maxBackoff = positive(maxBackoff, "maxBackoff");
      return this;
    }

    /**
     * The longest {@code Retry-After} this client waits for (default 60 s); a longer one is thrown
     * at once as {@link KeyturnThrottledException} or {@link KeyturnUnavailableException}.
     */
    public Builder maxRetryAfter(Duration maxRetryAfter) {
      requireNonNull(maxRetryAfter, "maxRetryAfter");
      if (maxRetryAfter.isNegative()) {
        throw new IllegalArgumentException("maxRetryAfter may not be negative");
      }
      this.maxRetryAfter = maxRetryAfter;
      return this;
    }

    /**
     * @throws IllegalArgumentException when a token would go over plain HTTP to another machine
     *     without {@link #insecureHttp}, or {@code initialBackoff} exceeds {@code maxBackoff}
     */
    public HttpKeyturnClient build() {
      if (initialBackoff.compareTo(maxBackoff) > 0) {
        throw new IllegalArgumentException("initialBackoff may not exceed maxBackoff");
      }
      return new HttpKeyturnClient(this, wire.build());
    }

    private static Duration positive(Duration d, String what) {
      requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive");
      }
      return d;
    }
  }
}
