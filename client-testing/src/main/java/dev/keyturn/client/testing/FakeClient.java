package dev.keyturn.client.testing;

import static java.util.Objects.requireNonNull;

import dev.keyturn.client.ChangeListener;
import dev.keyturn.client.ConsumerRegistration;
import dev.keyturn.client.JwtOptions;
import dev.keyturn.client.Keyring;
import dev.keyturn.client.KeyturnClient;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.client.KeyturnConnectionException;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.client.KeyturnInvalidRequestException;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.KeyturnWatch;
import dev.keyturn.client.PutRequest;
import dev.keyturn.client.SecretChange;
import dev.keyturn.client.SecretInfo;
import dev.keyturn.client.SecretPage;
import dev.keyturn.client.SecretValue;
import dev.keyturn.client.Stage;
import dev.keyturn.client.WriteResult;
import dev.keyturn.client.internal.JwtKeyrings;
import dev.keyturn.client.internal.KeyringVersions;
import dev.keyturn.client.internal.Names;
import dev.keyturn.keyring.JwtKeyring;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A {@link KeyturnClient} of a {@link FakeKeyturn}, holding one token's grants. */
final class FakeClient implements KeyturnClient {
  static final int PAGE = 100;

  private final FakeKeyturn server;
  private final String token;
  private final List<FakeKeyturn.Grant> grants;
  private volatile boolean closed;

  FakeClient(FakeKeyturn server, String token, List<FakeKeyturn.Grant> grants) {
    this.server = server;
    this.token = token;
    this.grants = List.copyOf(grants);
  }

  private boolean may(String capability, String name) {
    return grants.stream().anyMatch(g -> g.allows(capability, name));
  }

  private void need(String capability, String name) {
    if (closed) {
      throw new IllegalStateException("the client is closed");
    }
    server.checkAvailable();
    if (!may(capability, name)) {
      throw new KeyturnForbiddenException(
          "forbidden", "the token may not " + capability + " " + name);
    }
  }

  @Override
  public SecretValue get(String name) {
    Names.secret(name);
    need("read", name);
    return server.read(
        name,
        s -> {
          if (s.allRetired()) {
            throw new KeyturnNotFoundException(
                "not_found",
                name + " is deleted (its versions are retired; admins read them by number)");
          }
          return s.current().orElseThrow(() -> noVersion(name, Stage.CURRENT)).toValue(name, true);
        });
  }

  @Override
  public SecretValue getVersion(String name, int version) {
    Names.secret(name);
    if (version < 1) {
      throw new KeyturnInvalidRequestException("invalid_request", "a version is 1 or more");
    }
    need("read", name);
    return server.read(
        name,
        s -> {
          FakeSecret.Version v =
              s.version(version)
                  .orElseThrow(() ->
                      new KeyturnNotFoundException(
                          "not_found", name + "#" + version + " does not exist"));
          if (v.stage == Stage.RETIRED && !may("admin", name)) {
            throw new KeyturnForbiddenException(
                "forbidden",
                name + "#" + version + " is retired; reading it needs the admin capability");
          }
          return v.toValue(name, true);
        });
  }

  @Override
  public SecretValue getStage(String name, Stage stage) {
    Names.secret(name);
    requireNonNull(stage, "stage");
    if (stage == Stage.RETIRED) {
      throw new KeyturnInvalidRequestException(
          "invalid_request", "retired versions are read by number (getVersion)");
    }
    need("read", name);
    return server.read(
        name,
        s -> {
          if (s.allRetired()) {
            throw new KeyturnNotFoundException(
                "not_found",
                name + " is deleted (its versions are retired; admins read them by number)");
          }
          Optional<FakeSecret.Version> found =
              switch (stage) {
                case CURRENT -> s.current();
                case PENDING -> s.pending();
                default -> s.newestPrevious();
              };
          return found.orElseThrow(() -> noVersion(name, stage)).toValue(name, true);
        });
  }

  private static KeyturnNotFoundException noVersion(String name, Stage stage) {
    return new KeyturnNotFoundException(
        "not_found", name + " has no " + stage.wireName() + " version");
  }

  @Override
  public Keyring keyring(String name) {
    Names.secret(name);
    need("read", name);
    return server.read(
        name,
        s -> {
          List<FakeSecret.Version> valid = s.keyring();
          if (valid.isEmpty()) {
            throw new KeyturnNotFoundException("not_found", name + " has no valid version");
          }
          return Keyring.of(name, valid.stream().map(v -> v.toValue(name, false)).toList());
        });
  }

  @Override
  public JwtKeyring jwtKeyring(String name, JwtOptions options) {
    requireNonNull(options, "options");
    Keyring ring = keyring(name);
    Optional<String[]> rule = server.ruleOf(name);
    return JwtKeyrings.of(
        name,
        rule.map(r -> r[0]).orElse(null),
        rule.map(r -> r[1]).orElse(null),
        options.algorithmName(),
        KeyringVersions.of(ring),
        options.clock());
  }

  @Override
  public WriteResult put(PutRequest request) {
    requireNonNull(request, "request");
    need("write", request.name());
    FakeSecret.Version made = server.write(request, token);
    return new WriteResult(
        request.name(), made.number, made.stage, Optional.of(made.createdAt), List.of());
  }

  @Override
  public SecretPage list(String prefix) {
    return page(prefix, "");
  }

  @Override
  public SecretPage list(String prefix, String pageToken) {
    requireNonNull(pageToken, "pageToken");
    if (!pageToken.startsWith("fake:")) {
      throw new KeyturnInvalidRequestException("invalid_request", "invalid page token");
    }
    return page(prefix, pageToken.substring(5));
  }

  private SecretPage page(String prefix, String after) {
    Names.listPrefix(prefix);
    if (closed) {
      throw new IllegalStateException("the client is closed");
    }
    server.checkAvailable();
    if (grants.stream()
        .noneMatch(g -> g.capability().equals("list") || g.capability().equals("admin"))) {
      throw new KeyturnForbiddenException("forbidden", "the token may not list " + prefix);
    }
    List<SecretInfo> rows = new ArrayList<>();
    boolean more = false;
    for (FakeSecret s : server.all()) {
      if (!s.name.startsWith(prefix) || s.name.compareTo(after) <= 0 || !may("list", s.name)) {
        continue;
      }
      if (rows.size() == PAGE) {
        more = true;
        break;
      }
      rows.add(
          new SecretInfo(
              s.name, s.current().map(v -> v.number), s.versions.size(), Optional.of(s.updatedAt)));
    }
    return new SecretPage(
        rows, more ? Optional.of("fake:" + rows.get(rows.size() - 1).name()) : Optional.empty());
  }

  @Override
  public KeyturnWatch watch(String prefix, ChangeListener listener) {
    String p = Names.prefix(prefix);
    requireNonNull(listener, "listener");
    server.checkAvailable();
    Subscription s = new Subscription(p, listener);
    server.subscribe(s);
    listener.ready();
    return s;
  }

  @Override
  public void registerConsumer(ConsumerRegistration registration) {
    requireNonNull(registration, "registration");
    for (ConsumerRegistration.Holding h : registration.holdings()) {
      need("read", h.secret());
    }
    server.register(token, registration);
  }

  @Override
  public void departConsumer(String id) {
    Names.consumerId(id);
    server.checkAvailable();
    server.depart(token, id);
  }

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "FakeKeyturn client " + grants;
  }

  /** One watch: delivers the changes its token may list or read, under its prefix. */
  final class Subscription implements KeyturnWatch {
    private final String prefix;
    private final ChangeListener listener;
    private volatile boolean open = true;
    private volatile KeyturnClientException failure;
    private final java.util.concurrent.CountDownLatch ended =
        new java.util.concurrent.CountDownLatch(1);

    Subscription(String prefix, ChangeListener listener) {
      this.prefix = prefix;
      this.listener = listener;
    }

    synchronized void deliver(SecretChange change) {
      if (!open) {
        return;
      }
      String name = change.name();
      if (!prefix.isEmpty() && !name.equals(prefix) && !name.startsWith(prefix + "/")) {
        return;
      }
      if (!may("list", name) && !may("read", name)) {
        return;
      }
      try {
        listener.changed(change);
      } catch (RuntimeException e) {
        failure =
            e instanceof KeyturnClientException k
                ? k
                : new KeyturnClientException(0, "listener_failed", "a listener threw", e);
        close();
      }
    }

    synchronized void disconnected() {
      if (open) {
        listener.disconnected(
            new KeyturnConnectionException("the fake Keyturn server is unavailable", null),
            Duration.ofSeconds(1));
      }
    }

    synchronized void reconnected() {
      if (open) {
        listener.ready();
      }
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void await() throws InterruptedException {
      ended.await();
      if (failure != null) {
        throw failure;
      }
    }

    @Override
    public void close() {
      open = false;
      server.unsubscribe(this);
      ended.countDown();
    }
  }
}
