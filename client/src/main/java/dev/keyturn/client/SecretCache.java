package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Values and keyrings served from memory, kept fresh by the server's change events ({@link
 * KeyturnClient#watch}). The first read of a name fetches it; later reads answer from memory, and a
 * change event for the name fetches it again before the {@link #onChange} listeners hear of it.
 * While the event stream is down (the server restarts, the network fails) reads keep answering from
 * memory, for at most {@code maxStale} (default 24 hours) after the cache last knew a value to be
 * current; past that a read fetches it again, and throws {@link KeyturnUnavailableException} when
 * it cannot. When the stream is back, every cached name is fetched again, so nothing missed
 * meanwhile is served.
 *
 * <p>The cache registers the process as a consumer of the names it holds ({@code PUT
 * /v1/consumers/{id}}, kind {@code sdk}), with the current version it uses and the versions of the
 * keyrings it holds, heartbeats every third of its ttl and again at once when what it holds
 * changes, and departs on {@link #close()}: the server then keeps a previous version this process
 * still uses from retirement.
 *
 * <p>Security: values stay in memory only, never on disk; log lines and exception messages name
 * secrets and versions, never values. Thread-safe; listeners run on the watch's thread.
 */
public final class SecretCache implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(SecretCache.class.getName());
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KeyturnClient client;
  private final Clock clock;
  private final Duration maxStale;
  private final String consumerId;
  private final boolean register;
  private final Duration consumerTtl;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final Map<String, Object> locks = new ConcurrentHashMap<>();
  private final List<Consumer<SecretChange>> listeners = new CopyOnWriteArrayList<>();
  private final KeyturnWatch watch;
  private final ScheduledExecutorService heartbeats;
  private final Object registration = new Object();
  private volatile boolean connected;
  private volatile Instant freshUntilDisconnect;
  private volatile boolean closed;
  private ConsumerRegistration lastSent; // guarded by registration

  private SecretCache(Builder b) {
    this.client = b.client;
    this.clock = b.clock;
    this.maxStale = b.maxStale;
    this.consumerId = b.consumerId != null ? b.consumerId : defaultConsumerId();
    this.register = b.register;
    this.consumerTtl = b.consumerTtl;
    this.freshUntilDisconnect = clock.instant();
    this.heartbeats =
        register
            ? Executors.newSingleThreadScheduledExecutor(r -> {
              Thread t = new Thread(r, "keyturn-cache-heartbeat");
              t.setDaemon(true);
              return t;
            })
            : null;
    this.watch = client.watch(b.prefix, new Events());
    if (heartbeats != null) {
      long every = Math.max(1, consumerTtl.toMillis() / 3);
      heartbeats.scheduleAtFixedRate(() -> heartbeat(true), every, every, TimeUnit.MILLISECONDS);
    }
  }

  /** A builder of a cache reading through {@code client} (which the cache does not close). */
  public static Builder builder(KeyturnClient client) {
    return new Builder(client);
  }

  /**
   * The current version of {@code name}: from memory when it is fresh enough, else fetched.
   *
   * @throws KeyturnUnavailableException when the value held is older than {@code maxStale} and the
   *     server cannot be reached
   * @throws KeyturnClientException as {@link KeyturnClient#get} on the first read of a name
   */
  public SecretValue get(String name) {
    return entry(name, false).current;
  }

  /**
   * The keyring of {@code name}, as {@link #get} serves values.
   *
   * @throws KeyturnUnavailableException as {@link #get}
   */
  public Keyring keyring(String name) {
    return entry(name, true).keyring;
  }

  /**
   * Calls {@code listener} with each change event of a cached name, after the cache holds what
   * changed (and with a change it found itself when the stream came back). A listener that throws
   * is logged (its exception's type only) and does not stop the others.
   */
  public SecretCache onChange(Consumer<SecretChange> listener) {
    listeners.add(requireNonNull(listener, "listener"));
    return this;
  }

  /**
   * Whether the event stream is up and has caught up, so that what the cache holds is known to be
   * current (for a health check; reads work either way, up to {@code maxStale}).
   */
  public boolean isConnected() {
    return connected;
  }

  /** The consumer id this cache registers as. */
  public String consumerId() {
    return consumerId;
  }

  /**
   * How long ago the cache last knew {@code name}'s value to be current, if it holds the name; zero
   * while the event stream is connected.
   */
  public Optional<Duration> age(String name) {
    Entry e = entries.get(name);
    return e == null
        ? Optional.empty()
        : Optional.of(Duration.between(freshAt(e), clock.instant()));
  }

  /** Stops following events and heartbeats, departs as a consumer, and forgets every value. */
  @Override
  public void close() {
    closed = true;
    watch.close();
    if (heartbeats != null) {
      heartbeats.shutdownNow();
      synchronized (registration) {
        if (lastSent != null) {
          try {
            client.departConsumer(consumerId);
          } catch (KeyturnClientException e) {
            LOG.log(
                System.Logger.Level.WARNING,
                "consumer " + consumerId + " could not depart: " + e.code());
          }
        }
      }
    }
    entries.clear();
  }

  /** The cache's view of one name. */
  private static final class Entry {
    final SecretValue current;
    final Keyring keyring; // null until asked for
    final Instant fetchedAt;
    final boolean outdated; // a change event came that could not be fetched

    Entry(SecretValue current, Keyring keyring, Instant fetchedAt, boolean outdated) {
      this.current = current;
      this.keyring = keyring;
      this.fetchedAt = fetchedAt;
      this.outdated = outdated;
    }
  }

  private Instant freshAt(Entry e) {
    if (connected && !e.outdated) {
      return clock.instant();
    }
    Instant disconnect = e.outdated ? e.fetchedAt : freshUntilDisconnect;
    return e.fetchedAt.isAfter(disconnect) ? e.fetchedAt : disconnect;
  }

  private Entry entry(String name, boolean wantKeyring) {
    if (closed) {
      throw new IllegalStateException("the cache is closed");
    }
    Entry e = entries.get(requireNonNull(name, "name"));
    if (e != null && (!wantKeyring || e.keyring != null)) {
      Duration age = Duration.between(freshAt(e), clock.instant());
      if (age.compareTo(maxStale) <= 0) {
        return e;
      }
      try {
        return fetch(name, wantKeyring || e.keyring != null);
      } catch (KeyturnUnavailableException down) {
        throw new KeyturnUnavailableException(
            down.code(),
            name
                + "#"
                + e.current.version()
                + " in the cache is older than maxStale ("
                + maxStale
                + ") and Keyturn cannot be reached: "
                + down.getMessage(),
            down.retryAfter());
      }
    }
    return fetch(name, wantKeyring || (e != null && e.keyring != null));
  }

  /**
   * Fetches {@code name} under its lock, so that a read's fetch that began before a change cannot
   * overwrite what the change event's fetch, which comes after the change, stored.
   */
  private Entry fetch(String name, boolean withKeyring) {
    Entry fresh;
    synchronized (locks.computeIfAbsent(name, n -> new Object())) {
      Instant at = clock.instant();
      SecretValue current = client.get(name);
      Keyring ring = withKeyring ? client.keyring(name) : null;
      fresh = new Entry(current, ring, at, false);
      entries.put(name, fresh);
    }
    heartbeat(false);
    return fresh;
  }

  /** Fetches {@code name} again after an event; returns whether what it holds changed. */
  private Optional<SecretChange> refresh(String name) {
    Entry old = entries.get(name);
    if (old == null) {
      return Optional.empty();
    }
    try {
      Entry fresh = fetch(name, old.keyring != null);
      boolean changed =
          fresh.current.version() != old.current.version()
              || old.keyring != null && !fresh.keyring.toString().equals(old.keyring.toString());
      return changed
          ? Optional.of(
              new SecretChange(
                  name, fresh.current.version(), fresh.current.stage(), Optional.empty()))
          : Optional.empty();
    } catch (KeyturnNotFoundException gone) {
      entries.remove(name);
      return Optional.empty();
    } catch (KeyturnClientException e) {
      entries.put(name, new Entry(old.current, old.keyring, old.fetchedAt, true));
      LOG.log(
          System.Logger.Level.WARNING,
          "cannot refresh "
              + name
              + " after a change ("
              + e.code()
              + "); serving #"
              + old.current.version()
              + " until maxStale");
      return Optional.empty();
    }
  }

  private void tell(SecretChange change) {
    for (Consumer<SecretChange> l : listeners) {
      try {
        l.accept(change);
      } catch (RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "an onChange listener threw " + e.getClass().getName() + " for " + change.name());
      }
    }
  }

  /** Sends the registration when what the cache holds changed, or always when {@code beat}. */
  private void heartbeat(boolean beat) {
    if (!register || closed) {
      return;
    }
    ConsumerRegistration.Builder b = ConsumerRegistration.builder(consumerId).ttl(consumerTtl);
    boolean any = false;
    for (Map.Entry<String, Entry> e : new java.util.TreeMap<>(entries).entrySet()) {
      Entry v = e.getValue();
      List<Integer> accepting =
          v.keyring != null ? v.keyring.versionNumbers() : List.of(v.current.version());
      b.holding(e.getKey(), v.current.version(), accepting);
      any = true;
    }
    if (!any) {
      return;
    }
    ConsumerRegistration next = b.build();
    synchronized (registration) {
      if (!beat && next.equals(lastSent)) {
        return;
      }
      try {
        client.registerConsumer(next);
        lastSent = next;
      } catch (KeyturnClientException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "consumer " + consumerId + " not registered (" + e.code() + "); trying again later");
      }
    }
  }

  private static String defaultConsumerId() {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "host";
    }
    String tail = "." + ProcessHandle.current().pid() + "." + HexFormat.of().formatHex(random);
    String head = "sdk." + host.replaceAll("[^A-Za-z0-9._-]", "-");
    return (head.length() + tail.length() <= 64 ? head : head.substring(0, 64 - tail.length()))
        + tail;
  }

  /** Follows the change events. */
  private final class Events implements ChangeListener {
    private boolean wasDisconnected;

    @Override
    public void changed(SecretChange change) {
      if (entries.containsKey(change.name())) {
        refresh(change.name());
        tell(change);
      }
    }

    @Override
    public void reset() {
      refreshAll();
    }

    @Override
    public void ready() {
      // Connected only once the refresh has caught up: until then a name not yet refreshed may
      // have changed unseen, so it is judged by maxStale (a listener may read it meanwhile).
      if (wasDisconnected) {
        wasDisconnected = false;
        refreshAll();
      }
      connected = true;
    }

    @Override
    public void disconnected(KeyturnClientException cause, Duration retryIn) {
      if (connected) {
        freshUntilDisconnect = clock.instant();
      }
      connected = false;
      wasDisconnected = true;
    }

    private void refreshAll() {
      for (String name : List.copyOf(entries.keySet())) {
        refresh(name).ifPresent(SecretCache.this::tell);
      }
    }
  }

  /** Builds a {@link SecretCache}; {@link #build()} starts it (opens its event stream). */
  public static final class Builder {
    private final KeyturnClient client;
    private String prefix = "";
    private Duration maxStale = Duration.ofHours(24);
    private Clock clock = Clock.systemUTC();
    private String consumerId;
    private boolean register = true;
    private Duration consumerTtl = Duration.ofSeconds(90);

    private Builder(KeyturnClient client) {
      this.client = requireNonNull(client, "client");
    }

    /**
     * The folder whose change events the cache follows (default: every name the token may list or
     * read); names read outside it are not kept fresh by events, only by {@code maxStale}.
     */
    public Builder prefix(String prefix) {
      this.prefix = requireNonNull(prefix, "prefix");
      return this;
    }

    /** How long a value may be served without knowing it is current (default 24 h). */
    public Builder maxStale(Duration maxStale) {
      requireNonNull(maxStale, "maxStale");
      if (maxStale.isNegative()) {
        throw new IllegalArgumentException("maxStale may not be negative");
      }
      this.maxStale = maxStale;
      return this;
    }

    /** The clock ages are measured with (a test's settable clock). */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The consumer id to register as (default {@code sdk.HOST.PID.RANDOM}, within 64 characters).
     */
    public Builder consumerId(String consumerId) {
      this.consumerId = dev.keyturn.client.internal.Names.consumerId(consumerId);
      return this;
    }

    /** Whether to register as a consumer (default true). */
    public Builder registerAsConsumer(boolean register) {
      this.register = register;
      return this;
    }

    /** The consumer ttl: heartbeats go every third of it (default 90 s; 10 s to 1 h). */
    public Builder consumerTtl(Duration ttl) {
      requireNonNull(ttl, "ttl");
      if (ttl.compareTo(Duration.ofSeconds(10)) < 0 || ttl.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("a consumer ttl is 10 s to 1 h");
      }
      this.consumerTtl = ttl;
      return this;
    }

    /**
     * Starts the cache: opens its event stream.
     *
     * @throws KeyturnInvalidRequestException for a prefix that is not a canonical folder
     */
    public SecretCache build() {
      return new SecretCache(this);
    }
  }
}
