package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.store.ChangeEvent;
import dev.keyturn.store.ChangeEvents;
import dev.keyturn.store.ChangeFeed;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers stored change events to the open {@link EventStream}s of this node. One thread reads the
 * events table after the last id it delivered, when told of a change (PostgreSQL {@code
 * LISTEN/NOTIFY}, from any node) and at least every {@link #pollEvery}; since ids grow in commit
 * order, reading after the last id misses nothing. Every second each stream's token is checked
 * again through the {@link Authenticator} (so a stream ends within its cache bound once the token
 * is revoked or expires); every 15 s each stream gets a comment line. Events older than 24 hours
 * are pruned. At most {@code maxStreams} streams are open. Thread-safe.
 */
final class WatchHub implements AutoCloseable {
  static final Duration KEEP = Duration.ofHours(24);
  static final Duration HEARTBEAT = Duration.ofSeconds(15);

  /** The most events a reconnecting stream is sent again; further behind, it gets a reset. */
  static final int MAX_REPLAY = 10_000;

  private static final Logger log = LoggerFactory.getLogger(WatchHub.class);

  private final ChangeEvents events;
  private final Authenticator authenticator;
  private final Clock clock;
  private final Duration pollEvery;
  private final AtomicInteger reserved = new AtomicInteger();
  private final int maxStreams;
  private final Optional<ChangeFeed> feed;
  private final Set<EventStream> streams = ConcurrentHashMap.newKeySet();
  private final Semaphore wake = new Semaphore(0);
  private final Object delivery = new Object();
  private final ScheduledExecutorService timers;
  private final Thread poller;
  private volatile long delivered;
  private volatile boolean closed;
  private long ticks;

  /**
   * A hub reading {@code events}, woken by {@code feed} (the node's change feed, on PostgreSQL; its
   * owner starts and closes it).
   */
  WatchHub(
      ChangeEvents events,
      Optional<ChangeFeed> feed,
      Authenticator authenticator,
      Clock clock,
      int maxStreams) {
    this.events = requireNonNull(events, "events");
    this.feed = requireNonNull(feed, "feed");
    this.authenticator = requireNonNull(authenticator, "authenticator");
    this.clock = requireNonNull(clock, "clock");
    this.maxStreams = maxStreams;
    // With one embedded node every change is made here, but it commits outside this class, so the
    // table is read often; on PostgreSQL a notification wakes the reader at once.
    this.pollEvery = events.shared() ? Duration.ofSeconds(1) : Duration.ofMillis(50);
    this.timers =
        Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "keyturn-watch-timers");
          t.setDaemon(true);
          return t;
        });
    this.poller = new Thread(this::pollLoop, "keyturn-watch");
    this.poller.setDaemon(true);
  }

  /** Starts reading events, listening for other nodes' changes and checking streams' tokens. */
  WatchHub start() {
    delivered = events.bounds().map(b -> b[1]).orElse(0L);
    poller.start();
    feed.ifPresent(f ->
        f.subscribe(
            new ChangeFeed.Subscriber() {
              @Override
              public void notified(Optional<String> name) {
                wake.release();
              }

              @Override
              public void relistened() {
                WatchHub.this.relistened();
              }
            }));
    timers.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    return this;
  }

  /**
   * Reserves a place for one stream.
   *
   * @throws HttpError.ApiException 429 when {@code --max-streams} streams are open
   */
  void reserve() {
    if (reserved.incrementAndGet() > maxStreams) {
      reserved.decrementAndGet();
      throw new HttpError.ApiException(
          429,
          dev.keyturn.api.ErrorCodes.TOO_MANY_REQUESTS,
          "this server holds its most event streams (--max-streams); try again later");
    }
  }

  void release() {
    reserved.decrementAndGet();
  }

  /** Open streams (for tests and metrics). */
  int open() {
    return streams.size();
  }

  /**
   * Starts delivering to {@code stream}: first what it missed after {@code lastEventId} (or a
   * {@code reset} when that id is unknown or older than what is kept), then every new event. Events
   * committed before the stream opened are delivered first, so that they are among what is replayed
   * before {@code ready} rather than following it live.
   */
  void attach(EventStream stream, Optional<String> lastEventId) {
    deliverNew();
    synchronized (delivery) {
      if (lastEventId.isPresent()) {
        OptionalLong last = parse(lastEventId.get());
        if (last.isPresent() && replayable(last.getAsLong())) {
          replay(stream, last.getAsLong());
        } else {
          stream.reset(delivered);
        }
      }
      stream.comment("ready");
      streams.add(stream);
    }
  }

  void detach(EventStream stream) {
    streams.remove(stream);
  }

  private static OptionalLong parse(String text) {
    String id = text.strip();
    if (!id.matches("[0-9]{1,18}")) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Long.parseLong(id));
  }

  /** Whether every event after {@code last} is still kept (none pruned, none unknown). */
  private boolean replayable(long last) {
    if (last > delivered) {
      return false;
    }
    Optional<long[]> bounds = events.bounds();
    // The newest event is never pruned, so an empty table has never held one.
    return bounds.isEmpty() ? last == delivered : last + 1 >= bounds.get()[0];
  }

  private void replay(EventStream stream, long last) {
    long from = last;
    int sent = 0;
    while (from < delivered) {
      List<ChangeEvent> batch = events.after(from, "", 1000);
      for (ChangeEvent event : batch) {
        if (event.id() > delivered) {
          return;
        }
        if (stream.wants(event)) {
          if (++sent > MAX_REPLAY) {
            stream.reset(delivered);
            return;
          }
          stream.version(EventStream.versionMessage(event));
        }
        from = event.id();
      }
      if (batch.isEmpty()) {
        return;
      }
    }
  }

  private void pollLoop() {
    while (!closed) {
      try {
        wake.tryAcquire(pollEvery.toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
        deliverNew();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("reading change events failed: {}", SafeFailure.describe(e));
        try {
          Thread.sleep(1_000);
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
  }

  private void deliverNew() {
    while (true) {
      List<ChangeEvent> batch = events.after(delivered, "", 1000);
      if (batch.isEmpty()) {
        return;
      }
      synchronized (delivery) {
        for (ChangeEvent event : batch) {
          if (event.id() <= delivered) {
            continue; // the poll thread and an attaching stream read the same batch
          }
          byte[] message = null;
          for (EventStream stream : streams) {
            if (stream.wants(event)) {
              if (message == null) {
                message = EventStream.versionMessage(event);
              }
              stream.version(message);
            }
          }
          delivered = event.id();
        }
      }
    }
  }

  /** After the listening connection came back: notifications may have been lost meanwhile. */
  private void relistened() {
    synchronized (delivery) {
      for (EventStream stream : streams) {
        stream.reset(delivered);
      }
    }
    wake.release();
  }

  private void tick() {
    try {
      ticks++;
      for (EventStream stream : streams) {
        try {
          authenticator.authenticate(Optional.of(stream.authorization()));
        } catch (RuntimeException e) {
          // Revoked or expired, or the check itself failed (an integrity failure): either way the
          // token is no longer known to be good, and the streams after this one are still checked.
          if (!(e instanceof KeyturnException.Unauthenticated)) {
            log.warn(
                "a watch stream ended: its token could not be checked: {}",
                SafeFailure.describe(e));
          }
          stream.end();
          streams.remove(stream);
        }
      }
      if (ticks % HEARTBEAT.toSeconds() == 0) {
        for (EventStream stream : streams) {
          stream.comment("keep-alive");
        }
      }
      if (ticks % 60 == 1) {
        Instant cutoff = clock.instant().minus(KEEP);
        events.prune(cutoff);
      }
    } catch (RuntimeException e) {
      log.warn("watch housekeeping failed: {}", SafeFailure.describe(e));
    }
  }

  /** Ends every stream and stops the threads. */
  @Override
  public void close() {
    closed = true;
    timers.shutdownNow();
    poller.interrupt();
    for (EventStream stream : streams) {
      stream.end();
    }
    streams.clear();
  }
}
