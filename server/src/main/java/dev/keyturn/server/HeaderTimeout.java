package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * Closes an HTTP/1 connection whose request line and headers take longer than {@code timeout} to
 * arrive, counted from their first byte: a client trickling a header a byte at a time otherwise
 * holds its connection for as long as it likes, since each byte resets the idle timeout. Jetty has
 * no such timeout of its own, so {@link #sweep} (run every fraction of a second) looks at each open
 * connection's parser. Thread-safe.
 */
final class HeaderTimeout implements Connection.Listener {
  private final long timeoutNanos;
  private final Map<HttpConnection, Watch> open = new ConcurrentHashMap<>();

  HeaderTimeout(Duration timeout) {
    this.timeoutNanos = requireNonNull(timeout, "timeout").toNanos();
  }

  @Override
  public void onOpened(Connection connection) {
    if (connection instanceof HttpConnection http) {
      open.put(http, new Watch());
    }
  }

  @Override
  public void onClosed(Connection connection) {
    if (connection instanceof HttpConnection http) {
      open.remove(http);
    }
  }

  /** Closes the connections whose current request's headers are overdue; returns how many. */
  int sweep() {
    long now = System.nanoTime();
    int closed = 0;
    for (Map.Entry<HttpConnection, Watch> e : open.entrySet()) {
      HttpConnection connection = e.getKey();
      Watch watch = e.getValue();
      HttpParser parser = connection.getParser();
      boolean inHeaders = parser.inHeaderState() && !parser.isStart();
      long messages = connection.getMessagesIn();
      if (!inHeaders) {
        watch.since = 0;
      } else if (watch.since == 0 || watch.messages != messages) {
        watch.since = now;
        watch.messages = messages;
      } else if (now - watch.since > timeoutNanos) {
        open.remove(connection);
        connection.getEndPoint().close();
        closed++;
      }
    }
    return closed;
  }

  private static final class Watch {
    long since;
    long messages;
  }
}
