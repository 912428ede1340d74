package dev.keyturn.server;

import dev.keyturn.core.SecretService;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.CachingStore;
import dev.keyturn.store.JdbcStore;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;

/**
 * The server's audited read ({@link ReadPath}) behind one HTTP server, on a data folder a Keyturn
 * server made and left (its SQLite store, root key file, secrets and tokens), for {@code
 * bench/http-read.sh} to drive with wrk. Every answer leaves only once its audit record is durable
 * (the store's group commit, {@code synchronous=FULL}), on every server alike.
 *
 * <p>Usage: {@code HttpReadBench SERVER DATA_DIR PORT}, SERVER one of
 *
 * <ul>
 *   <li>{@code jetty}: Jetty 12 core handler as the server runs it (a {@code QueuedThreadPool} of 8
 *       to 200 threads; the handler is blocking, so each request is handed from the selector to a
 *       worker thread);
 *   <li>{@code jetty-nb}: the same handler declared non-blocking, so that Jetty may run it on the
 *       thread that parsed the request;
 *   <li>{@code helidon}: Helidon SE 4 (a virtual thread per request, which waits for the audit);
 *   <li>{@code netty}: Reactor Netty 1.3 (the handler runs on the event loop; the answer is written
 *       from the audit writer's completion).
 * </ul>
 *
 * With {@code -fixed} after the name ({@code jetty-fixed}, {@code helidon-fixed}, {@code
 * netty-fixed}), the same server answers every request with a fixed JSON body of the read's size at
 * once, without the read path: the HTTP server's own floor, to tell its cost from the read's.
 *
 * <p>Prints {@code listening} when it serves, and at SIGTERM the number of reads answered after
 * their record was durable.
 */
public final class HttpReadBench {
  private HttpReadBench() {}

  /** What a server calls for each request: the read path, or a fixed answer. */
  interface Reads {
    CompletableFuture<ReadPath.Answer> read(
        String rawPath, List<String> authorization, String client, String requestId);
  }

  /** The fixed answer of a {@code -fixed} server: 174 bytes of JSON, as the bench's read. */
  private static final byte[] FIXED =
      ("{\"name\":\"bench/read/API_KEY\",\"version\":1,\"stage\":\"current\",\"value\":\""
              + "0".repeat(64)
              + "\",\"created_at\":\"2026-11-29T09:45:04.180Z\"}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: HttpReadBench jetty|jetty-nb|helidon|netty[-fixed] DATA_DIR PORT");
      System.exit(2);
    }
    String kind = args[0];
    boolean fixed = kind.endsWith("-fixed");
    Path data = Path.of(args[1]);
    int port = Integer.parseInt(args[2]);
    Clock clock = Clock.systemUTC();
    SecureRandom random = new SecureRandom();
    String url = "jdbc:sqlite:" + data.resolve("keyturn.db");
    StoreLock lock = StoreLock.acquire(url);
    JdbcStore store = JdbcStore.open(url, clock);
    RootKeyFiles.Keys keys = Bootstrap.rootKeys(store, data, Optional.empty(), random);
    AuditKeys.Opened opened = AuditKeys.open(store.settings(), keys.current(), keys.next(), random);
    Metrics metrics = new Metrics();
    AuditLog audit = new MeteredAuditLog(store.openAuditLog(opened.chain()), metrics.registry());
    store.protect(opened.envelope());
    CachingStore cache = ReadCache.over(store, Optional.empty(), metrics.registry());
    SecretService service = new SecretService(cache, opened.envelope(), clock);
    ReadPath path =
        new ReadPath(
            new Authenticator(store.tokens(), clock),
            new AuthThrottle(
                ServerConfig.DEFAULT_AUTH_FAILURE_LIMIT,
                java.time.Duration.ofMinutes(1),
                ServerConfig.DEFAULT_AUTH_LOCKOUT,
                clock),
            service,
            audit,
            clock);
    CompletableFuture<ReadPath.Answer> fixedAnswer =
        CompletableFuture.completedFuture(new ReadPath.Answer(200, FIXED));
    Reads reads = fixed ? (p, a, c, id) -> fixedAnswer : path::read;
    AutoCloseable server =
        switch (fixed ? kind.substring(0, kind.length() - "-fixed".length()) : kind) {
          case "jetty" -> jetty(reads, port, false);
          case "jetty-nb" -> jetty(reads, port, true);
          case "helidon" -> helidon(reads, port);
          case "netty" -> netty(reads, port);
          default -> throw new IllegalArgumentException("unknown server " + kind);
        };
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> {
              try {
                server.close();
                audit.close();
                store.close();
                lock.close();
                System.out.println("durable reads answered: " + path.durable());
              } catch (Exception e) {
                System.out.println("stop failed: " + e);
              } finally {
                stopped.countDown();
              }
            }));
    System.out.println("listening: " + kind + " on 127.0.0.1:" + port);
    stopped.await();
  }

  private static AutoCloseable jetty(Reads path, int port, boolean nonBlocking) throws Exception {
    QueuedThreadPool threads = new QueuedThreadPool(200, 8);
    threads.setName("bench-jetty");
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    server.setHandler(nonBlocking ? new JettyNonBlocking(path) : new JettyBlocking(path));
    server.start();
    return server::stop;
  }

  /** Jetty's handler: the read, and the answer written from the audit's completion. */
  private static boolean jettyRead(
      Reads path, Request request, Response response, Callback callback) {
    String id = RequestIds.generate();
    path.read(
            request.getHttpURI().getPathQuery(),
            request.getHeaders().getValuesList(HttpHeader.AUTHORIZATION),
            Request.getRemoteAddr(request),
            id)
        .thenAccept(answer -> {
          response.setStatus(answer.status());
          response.getHeaders().put(RequestIds.HEADER, id);
          response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
          response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
          response.write(true, ByteBuffer.wrap(answer.json()), callback);
        });
    return true;
  }

  private static final class JettyBlocking extends Handler.Abstract {
    private final Reads path;

    JettyBlocking(Reads path) {
      this.path = path;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      return jettyRead(path, request, response, callback);
    }
  }

  private static final class JettyNonBlocking extends Handler.Abstract.NonBlocking {
    private final Reads path;

    JettyNonBlocking(Reads path) {
      this.path = path;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      return jettyRead(path, request, response, callback);
    }
  }

  private static AutoCloseable helidon(Reads path, int port) {
    WebServer server =
        WebServer.builder()
            .host("127.0.0.1")
            .port(port)
            .routing(routing ->
                routing.get((req, res) -> {
                  String id = RequestIds.generate();
                  // Helidon runs each request on its own virtual thread, which waits here.
                  ReadPath.Answer answer =
                      path.read(
                              req.path().rawPath(),
                              req.headers().all(HeaderNames.AUTHORIZATION, List::of),
                              req.remotePeer().host(),
                              id)
                          .join();
                  res.status(answer.status());
                  res.header(RequestIds.HEADER, id);
                  res.header(HeaderNames.CONTENT_TYPE, "application/json");
                  res.header(HeaderNames.CACHE_CONTROL, "no-store");
                  res.send(answer.json());
                }))
            .build()
            .start();
    return server::stop;
  }

  private static AutoCloseable netty(Reads path, int port) {
    DisposableServer server =
        reactor.netty.http.server.HttpServer.create()
            .host("127.0.0.1")
            .port(port)
            .handle((req, res) -> {
              String id = RequestIds.generate();
              InetSocketAddress remote = req.remoteAddress();
              String client = remote == null ? "-" : remote.getAddress().getHostAddress();
              return Mono.fromFuture(
                      path.read(
                          req.uri(), req.requestHeaders().getAll("Authorization"), client, id))
                  .flatMap(answer ->
                      res.status(HttpResponseStatus.valueOf(answer.status()))
                          .header(RequestIds.HEADER, id)
                          .header("Content-Type", "application/json")
                          .header("Cache-Control", "no-store")
                          .header("Content-Length", Integer.toString(answer.json().length))
                          .sendByteArray(Mono.just(answer.json()))
                          .then());
            })
            .bindNow();
    return server::disposeNow;
  }
}
