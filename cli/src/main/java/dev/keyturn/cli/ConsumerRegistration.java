package dev.keyturn.cli;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.ConsumerHolding;
import dev.keyturn.api.ConsumerRequest;
import dev.keyturn.cli.delivery.Variables;
import dev.keyturn.client.KeyturnConflictException;
import dev.keyturn.client.internal.WireClient;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Registers a long-lived client ({@code run --watch}, {@code agent}) as a consumer ({@code PUT
 * /v1/consumers/{id}}) with the versions it holds, sends a heartbeat every third of its ttl, sends
 * what it holds again at once when that changes, and departs ({@code DELETE}) when it is closed (a
 * clean exit, SIGTERM included). The server then keeps a previous version this process still uses
 * from retirement. Failures are logged once each (a name or id, never a value) and tried again at
 * the next heartbeat; a 409 (the id is another token's) stops it. Runs on one daemon thread.
 */
final class ConsumerRegistration implements AutoCloseable {
  static final Duration DEFAULT_TTL = Duration.ofSeconds(90);

  private final WireClient client;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String id;
  private final String name;
  private final String kind;
  private final Duration ttl;
  private final Consumer<String> log;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "keyturn-consumer");
        t.setDaemon(true);
        return t;
      });
  private final Thread onExit = new Thread(this::depart, "keyturn-consumer-depart");
  private List<ConsumerHolding> holdings = List.of(); // only touched on the timer thread
  private String lastFailure = ""; // only touched on the timer thread
  private volatile boolean registered;
  private boolean stopped; // only touched on the timer thread
  private ScheduledFuture<?> heartbeats;

  ConsumerRegistration(
      WireClient client, String id, String name, String kind, Duration ttl, Consumer<String> log) {
    this.client = requireNonNull(client, "client");
    this.id = requireNonNull(id, "id");
    this.name = requireNonNull(name, "name");
    this.kind = requireNonNull(kind, "kind");
    this.ttl = requireNonNull(ttl, "ttl");
    this.log = requireNonNull(log, "log");
  }

  /**
   * A default id for {@code kind} on this machine: {@code KIND.HOST.PID.RANDOM} within 64
   * characters (the host cut short if need be). The random part keeps another token from taking the
   * id before this process registers it, as {@code KIND.HOST.PID} alone can be guessed.
   */
  static String defaultId(String kind) {
    return defaultId(kind, host());
  }

  static String defaultId(String kind, String host) {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    String tail = "." + ProcessHandle.current().pid() + "." + HexFormat.of().formatHex(random);
    String head = kind + "." + host.replaceAll("[^A-Za-z0-9._-]", "-");
    return (head.length() + tail.length() <= 64 ? head : head.substring(0, 64 - tail.length()))
        + tail;
  }

  /** This machine's name, or {@code host} when it has none. */
  static String host() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "host";
    }
  }

  /** A label for people: printable ASCII, at most 128 characters. */
  static String label(String text) {
    String clean = text.replaceAll("[^\\x20-\\x7e]", "?");
    return clean.isEmpty() ? "-" : clean.length() > 128 ? clean.substring(0, 128) : clean;
  }

  /** Starts the heartbeats; departs at JVM exit unless closed before. */
  ConsumerRegistration start() {
    long every = Math.max(1, ttl.toMillis() / 3);
    heartbeats = timer.scheduleAtFixedRate(this::send, every, every, TimeUnit.MILLISECONDS);
    Runtime.getRuntime().addShutdownHook(onExit);
    return this;
  }

  /** Reports what the process now holds (sent at once when it changed). */
  void hold(List<Variables.Holding> held) {
    hold(held, Map.of());
  }

  /**
   * Reports what the process now holds, and for some secrets a newer version it could not apply
   * ({@code failed}: secret name to version; the agent whose reload or check failed), sent at once
   * when it changed. A failure is reported beside what it holds of that secret, so one of a secret
   * it holds nothing of yet is not reported.
   */
  void hold(List<Variables.Holding> held, Map<String, Integer> failed) {
    List<ConsumerHolding> next =
        held.stream()
            .filter(h -> h.using() > 0)
            .map(h -> {
              Integer f = failed.get(h.secret());
              return new ConsumerHolding(
                  h.secret(), h.using(), h.accepting(), f == null || f == h.using() ? null : f);
            })
            .toList();
    timer.execute(() -> {
      if (!next.equals(holdings)) {
        holdings = next;
        send();
      }
    });
  }

  private void send() {
    if (stopped || holdings.isEmpty()) {
      return;
    }
    try {
      client.putConsumer(id, new ConsumerRequest(name, kind, holdings, (int) ttl.toSeconds()));
      if (!registered) {
        log.accept(
            "registered as consumer "
                + id
                + " holding "
                + String.join(
                    ", ", holdings.stream().map(h -> h.name() + "#" + h.using()).toList()));
      }
      registered = true;
      lastFailure = "";
    } catch (KeyturnConflictException e) {
      log.accept("consumer id " + id + " belongs to another token; not registering");
      stopped = true;
    } catch (RuntimeException e) {
      String why = ExitCode.message(e);
      if (!why.equals(lastFailure)) {
        log.accept("cannot register as consumer " + id + " (" + why + "); trying again");
      }
      lastFailure = why;
    }
  }

  private void depart() {
    if (!registered) {
      return;
    }
    try {
      client.deleteConsumer(id);
      registered = false;
    } catch (RuntimeException e) {
      // The registration goes stale after its ttl.
    }
  }

  /** Stops the heartbeats and departs. */
  @Override
  public void close() {
    if (heartbeats != null) {
      heartbeats.cancel(false);
    }
    try {
      timer
          .submit(() -> {
            stopped = true;
            depart();
          })
          .get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Departing is best effort: the registration goes stale after its ttl.
    }
    timer.shutdownNow();
    try {
      Runtime.getRuntime().removeShutdownHook(onExit);
    } catch (IllegalStateException e) {
      // Already exiting: the hook runs, or has run, depart itself.
    }
  }

  @Override
  public String toString() {
    return "ConsumerRegistration[" + id + " " + kind.toLowerCase(Locale.ROOT) + "]";
  }
}
