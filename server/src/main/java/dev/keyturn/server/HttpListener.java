package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.MinimumDataRateHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Jetty listener in front of {@link ApiHandler}, with the {@link HttpLimits}: idle and header
 * timeouts, a minimum request body rate, and a cap on the requests in progress per client address
 * ({@link ClientLimit}); it also writes the counts of {@link RepeatedRefusals} every few seconds
 * and when it stops. Errors Jetty answers itself get a JSON body ({@link JsonErrorHandler}).
 */
final class HttpListener implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpListener.class);

  private final Server jetty;
  private final ScheduledExecutorService housekeeping;
  private final RepeatedRefusals refusals;

  private HttpListener(
      Server jetty, ScheduledExecutorService housekeeping, RepeatedRefusals refusals) {
    this.jetty = jetty;
    this.housekeeping = housekeeping;
    this.refusals = refusals;
  }

  /** Listens on {@code config}'s address; {@code limit} wraps the API handler. */
  static HttpListener start(
      ServerConfig config,
      ClientLimit limit,
      RepeatedRefusals refusals,
      Optional<TlsFiles.Loaded> tls)
      throws Exception {
    requireNonNull(limit, "limit");
    HttpLimits limits = config.limits();
    QueuedThreadPool threads = new QueuedThreadPool(200, 8);
    threads.setName("keyturn-http");
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    // Let every request path reach ApiHandler unchanged: it checks names on the raw path and
    // refuses non-canonical ones itself, with a JSON error.
    http.setUriCompliance(UriCompliance.UNSAFE);
    ServerConnector connector;
    if (tls.isPresent()) {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      secure.setSniHostCheck(false);
      http.addCustomizer(secure);
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStore(tls.get().keyStore());
      ssl.setKeyStorePassword(tls.get().password());
      ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
      connector =
          new ServerConnector(
              server,
              new SslConnectionFactory(ssl, HttpVersion.HTTP_1_1.asString()),
              new HttpConnectionFactory(http));
    } else {
      connector = new ServerConnector(server, new HttpConnectionFactory(http));
    }
    connector.setHost(config.host());
    connector.setPort(config.port());
    connector.setIdleTimeout(limits.idleTimeout().toMillis());
    HeaderTimeout headers = new HeaderTimeout(limits.headerTimeout());
    connector.addBean(headers);
    server.addConnector(connector);
    // The rate is checked on every wait for more body bytes; a body that falls below it fails to
    // read (400) and its connection is closed.
    Handler rate = new MinimumDataRateHandler(limit.getHandler(), limits.minRequestRate(), 0);
    limit.setHandler(rate);
    server.setHandler(limit);
    server.setErrorHandler(new JsonErrorHandler());
    server.setStopTimeout(5_000);
    ScheduledExecutorService housekeeping =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "keyturn-http-housekeeping");
          t.setDaemon(true);
          return t;
        });
    long sweep = Math.max(100, Math.min(1_000, limits.headerTimeout().toMillis() / 4));
    housekeeping.scheduleWithFixedDelay(
        () -> guard("header timeout", headers::sweep), sweep, sweep, TimeUnit.MILLISECONDS);
    long flush = Math.max(1_000, refusals.interval().toMillis() / 6);
    housekeeping.scheduleWithFixedDelay(
        () -> guard("refusal counts", refusals::flush), flush, flush, TimeUnit.MILLISECONDS);
    try {
      server.start();
    } catch (Exception e) {
      housekeeping.shutdownNow();
      throw e;
    }
    return new HttpListener(server, housekeeping, refusals);
  }

  private static void guard(String what, Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("{} failed: {}", what, SafeFailure.describe(e));
    }
  }

  int port() {
    return ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
  }

  void join() throws InterruptedException {
    jetty.join();
  }

  /** Stops listening, lets requests in flight finish, and writes the pending refusal counts. */
  @Override
  public void close() {
    try {
      jetty.stop();
    } catch (Exception e) {
      log.warn("HTTP listener did not stop cleanly: {}", SafeFailure.describe(e));
    } finally {
      housekeeping.shutdownNow();
      refusals.close();
    }
  }
}
