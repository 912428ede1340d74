package dev.keyturn.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Keeps text that unauthenticated clients send out of the server log. Jetty's HTTP parsing code
 * ({@code org.eclipse.jetty.http}, {@code org.eclipse.jetty.util.HostPort}) logs what it refuses
 * with the client's own bytes ({@code Bad Authority: [anything]} from a forged {@code Host} or a
 * {@code CONNECT} target): those events are dropped and counted, and at most once a minute one line
 * says how many there were, with no client text. Registered by {@link LogSetup}. Thread-safe.
 */
public final class ClientTextLogFilter extends TurboFilter {
  static final long WINDOW_MILLIS = 60_000;
  private static final String JETTY_HTTP = "org.eclipse.jetty.http.";
  private static final String JETTY_HOST_PORT = "org.eclipse.jetty.util.HostPort";

  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong windowStart = new AtomicLong();

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    // Level first: logback asks a turbo filter on every isDebugEnabled() check, and Jetty makes
    // several for each write (a fan-out of one change event to 1,000 streams spent about a seventh
    // of its time here, comparing logger names).
    if (!level.isGreaterOrEqual(Level.INFO)) {
      return FilterReply.NEUTRAL;
    }
    String name = logger.getName();
    if (!(name.startsWith(JETTY_HTTP) || name.equals(JETTY_HOST_PORT))) {
      return FilterReply.NEUTRAL;
    }
    dropped.incrementAndGet();
    long now = System.currentTimeMillis();
    long start = windowStart.get();
    if (now - start >= WINDOW_MILLIS && windowStart.compareAndSet(start, now)) {
      long count = dropped.getAndSet(0);
      LoggerFactory.getLogger(ClientTextLogFilter.class)
          .warn(
              "refused {} malformed request(s) in the HTTP parser since the last report (the"
                  + " client's text is not logged)",
              count);
    }
    return FilterReply.DENY;
  }
}
