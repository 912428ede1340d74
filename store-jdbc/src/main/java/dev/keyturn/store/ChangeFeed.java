package dev.keyturn.store;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's one listening connection to a PostgreSQL store: {@code LISTEN keyturn_change}, on
 * which every committed change event ({@link ChangeEvents}) and every committed write of a secret
 * (payload: its name) is announced, delivered to {@link Subscriber}s in commit order.
 *
 * <p>It also knows how far it has caught up. Every {@code pingEvery} the listening connection
 * notifies a channel only it listens to and waits for that notification to come back. PostgreSQL
 * delivers a session's notifications in the order their transactions committed, so when the ping
 * sent at time T returns, every notification of a transaction that committed before T has been
 * handed to the subscribers: {@link #caughtUpWithin} tells a caller whether that T is recent. A
 * returned ping is recognised by the process id of its sender (this connection's backend), which no
 * other session can forge. When the connection fails (or a ping does not come back within {@value
 * #STALLED_MILLIS} ms), the feed stops vouching at once, tells the subscribers {@link
 * Subscriber#lost}, reconnects after {@code backOff}, listens again and tells them {@link
 * Subscriber#relistened}: notifications sent meanwhile are lost.
 *
 * <p>The connection's {@code application_name} is {@code keyturn-watch NODE}, so an operator can
 * tell the nodes' listeners apart. Thread-safe.
 */
public final class ChangeFeed implements AutoCloseable {
  /** What a subscriber is told, on the feed's thread, in the order it happened. */
  public interface Subscriber {
    /** A committed change: a secret's write (its name) or a change event (no name). */
    default void notified(Optional<String> name) {}

    /** The listening connection failed: what other nodes commit is not heard from now on. */
    default void lost() {}

    /** Listening again after {@link #lost}: anything may have changed meanwhile. */
    default void relistened() {}
  }

  static final long STALLED_MILLIS = 10_000;
  private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);
  private static final long NEVER = Long.MIN_VALUE;

  private final String jdbcUrl;
  private final String applicationName;
  private final Duration backOff;
  private final Duration pingEvery;
  private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean stopped;
  private volatile Connection connection;
  private volatile long caughtUp = NEVER;

  ChangeFeed(String jdbcUrl, String node, Duration backOff, Duration pingEvery) {
    this.jdbcUrl = requireNonNull(jdbcUrl, "jdbcUrl");
    this.applicationName = "keyturn-watch " + requireNonNull(node, "node");
    this.backOff = requireNonNull(backOff, "backOff");
    this.pingEvery = requireNonNull(pingEvery, "pingEvery");
    this.thread = new Thread(this::run, "keyturn-change-feed");
    this.thread.setDaemon(true);
  }

  /** Adds {@code subscriber}; subscribe before {@link #start} to hear everything. */
  public void subscribe(Subscriber subscriber) {
    subscribers.add(requireNonNull(subscriber, "subscriber"));
  }

  /** Connects and listens on a thread of its own. */
  public ChangeFeed start() {
    thread.start();
    return this;
  }

  /**
   * Whether every notification of a transaction that committed more than {@code bound} ago (by this
   * JVM's monotonic clock) has been handed to the subscribers. False until the first ping returns,
   * and from a failure of the connection until a ping returns after it listens again.
   */
  public boolean caughtUpWithin(Duration bound) {
    long at = caughtUp;
    return at != NEVER && System.nanoTime() - at < bound.toNanos();
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    thread.interrupt();
    closeConnection();
    thread.join(5_000);
  }

  private void run() {
    boolean first = true;
    while (!stopped) {
      try {
        Properties props = new Properties();
        props.setProperty("ApplicationName", applicationName);
        connection = DriverManager.getConnection(jdbcUrl, props);
        PGConnection pg = connection.unwrap(PGConnection.class);
        int pid = pg.getBackendPID();
        String fence = "keyturn_fence_" + pid;
        try (Statement st = connection.createStatement()) {
          // A ping need not wait for its commit record to reach disk: it changes nothing.
          st.execute("SET synchronous_commit TO off");
          st.execute("LISTEN " + ChangeEvents.CHANNEL);
          st.execute("LISTEN " + fence);
          if (!first) {
            log.info("listening for changes again");
            subscribers.forEach(Subscriber::relistened);
          }
          first = false;
          listen(pg, st, pid, fence);
        }
      } catch (SQLException | RuntimeException e) {
        caughtUp = NEVER;
        if (stopped) {
          return;
        }
        for (Subscriber s : subscribers) {
          try {
            s.lost();
          } catch (RuntimeException failed) {
            // The next subscriber must still hear it, and this thread must go on listening.
            log.warn("a change subscriber failed on a lost connection", failed);
          }
        }
        first = false;
        log.warn(
            "the change listener's connection failed ({}); listening again in {} ms",
            e.getClass().getSimpleName(),
            backOff.toMillis());
        closeConnection();
        try {
          Thread.sleep(backOff.toMillis());
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
    closeConnection();
  }

  /** Pings and delivers until the connection fails or the feed is closed. */
  private void listen(PGConnection pg, Statement st, int pid, String fence) throws SQLException {
    long pingEveryNanos = pingEvery.toNanos();
    long sent = NEVER;
    long lastSent = System.nanoTime() - pingEveryNanos;
    while (!stopped) {
      long now = System.nanoTime();
      if (sent == NEVER && now - lastSent >= pingEveryNanos) {
        sent = now;
        lastSent = now;
        st.execute("NOTIFY " + fence);
      } else if (sent != NEVER && now - sent > STALLED_MILLIS * 1_000_000) {
        throw new SQLException("the listening connection's ping did not come back");
      }
      // While a ping is out, its return (or any notification) ends the wait.
      long waitMillis =
          sent != NEVER
              ? pingEvery.toMillis()
              : Math.max(1, (lastSent + pingEveryNanos - System.nanoTime()) / 1_000_000);
      PGNotification[] got = pg.getNotifications((int) Math.min(waitMillis, pingEvery.toMillis()));
      if (got == null) {
        continue;
      }
      for (PGNotification n : got) {
        if (fence.equals(n.getName()) && n.getPID() == pid && sent != NEVER) {
          caughtUp = sent;
          sent = NEVER;
        } else if (ChangeEvents.CHANNEL.equals(n.getName())) {
          String payload = n.getParameter();
          Optional<String> name =
              payload == null || payload.isEmpty() ? Optional.empty() : Optional.of(payload);
          subscribers.forEach(s -> s.notified(name));
        }
      }
    }
  }

  private void closeConnection() {
    Connection c = connection;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // closing a broken connection: nothing more to do
      }
    }
  }
}
