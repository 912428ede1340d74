package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.SecretService;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.SecretStore;
import dev.keyturn.store.JdbcSecretStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Keyturn server: the store, the root key, the secret service and the HTTP listener,
 * wired together. {@link #start} checks everything before it listens; {@link #close} stops
 * listening, lets requests in flight finish, and closes the store.
 */
public final class KeyturnServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KeyturnServer.class);

  private final Server jetty;
  private final SecretStore store;
  private final int port;
  private final Optional<String> newRootToken;

  private KeyturnServer(Server jetty, SecretStore store, int port, Optional<String> newRootToken) {
    this.jetty = jetty;
    this.store = store;
    this.port = port;
    this.newRootToken = newRootToken;
  }

  /** Opens the store, checks the root key, makes the root token on first start, and listens. */
  public static KeyturnServer start(ServerConfig config, Clock clock, SecureRandom random) {
    requireNonNull(config, "config");
    Bootstrap.dataDir(config.dataDir());
    SecretStore store = JdbcSecretStore.open(config.storeUrl(), clock);
    try {
      RootKey rootKey = Bootstrap.rootKey(store, config.dataDir(), config.rootKey(), random);
      Optional<String> rootToken = Bootstrap.rootToken(store, config.dataDir(), random, clock);
      SecretService service = new SecretService(store, new Envelope(rootKey, random), clock);
      ApiHandler handler =
          new ApiHandler(
              new SecretsApi(service, random, clock), new Authenticator(store.tokens(), clock));
      Server jetty = jetty(config, handler);
      jetty.start();
      int port = ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
      log.info(
          "Keyturn listening on http://{}:{} (store {}, root key {})",
          config.host().contains(":") ? "[" + config.host() + "]" : config.host(),
          port,
          config.maskedStoreUrl(),
          rootKey.id());
      return new KeyturnServer(jetty, store, port, rootToken);
    } catch (Exception e) {
      store.close();
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("the HTTP listener did not start: " + e.getMessage(), e);
    }
  }

  private static Server jetty(ServerConfig config, ApiHandler handler) {
    QueuedThreadPool threads = new QueuedThreadPool(200, 8);
    threads.setName("keyturn-http");
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    // Let every request path reach ApiHandler unchanged: it checks names on the raw path and
    // refuses non-canonical ones itself, with a JSON error.
    http.setUriCompliance(UriCompliance.UNSAFE);
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(config.host());
    connector.setPort(config.port());
    server.addConnector(connector);
    server.setHandler(handler);
    server.setErrorHandler(new JsonErrorHandler());
    server.setStopTimeout(5_000);
    return server;
  }

  public int port() {
    return port;
  }

  /** The root token if this start made it (first start only); shown once, then forgotten. */
  public Optional<String> newRootToken() {
    return newRootToken;
  }

  /** Blocks until the server stops. */
  void join() throws InterruptedException {
    jetty.join();
  }

  @Override
  public void close() {
    try {
      jetty.stop();
    } catch (Exception e) {
      log.warn("HTTP listener did not stop cleanly: {}", e.toString());
    } finally {
      store.close();
    }
  }
}
