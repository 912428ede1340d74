package dev.keyturn.client.testing;

import static java.util.Objects.requireNonNull;

import dev.keyturn.client.ConsumerRegistration;
import dev.keyturn.client.KeyturnClient;
import dev.keyturn.client.KeyturnConflictException;
import dev.keyturn.client.KeyturnForbiddenException;
import dev.keyturn.client.KeyturnInvalidRequestException;
import dev.keyturn.client.KeyturnNotFoundException;
import dev.keyturn.client.KeyturnUnavailableException;
import dev.keyturn.client.PutRequest;
import dev.keyturn.client.SecretChange;
import dev.keyturn.client.Stage;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory Keyturn server for the tests of applications that use the Java SDK: {@link
 * #client(String...)} hands out {@link KeyturnClient}s whose tokens hold the grants given, and they
 * behave as the HTTP client against a real server does (the same contract suite runs on both):
 * versions numbered from 1 and never reused; stages pending, current, previous (accepted until its
 * grace ends, then retired) and retired (readable by number with {@code admin} only); keyrings;
 * compare-and-set writes; grants {@code capability:glob} with {@code admin} covering every
 * capability; 404, 403 and 409 where the server answers them, with its messages; change events;
 * consumer registrations owned by the token that made them.
 *
 * <p>Not modelled: generators other than {@code hex:N} (a generated value is {@code N} random-free
 * hex bytes from a counter, predictable on purpose), the server's hygiene checks, rotation rules
 * (set one for {@code jwtKeyring} with {@link #rule}), retirement held by consumers, audit.
 *
 * <p>Time comes from the {@link Clock} given (grace windows end when it says so). Change events are
 * delivered to watches on the thread that made the change, after the change, in order. {@link
 * #unavailable(boolean)} makes every call fail as a server that is down does, and tells open
 * watches that their stream dropped ({@code disconnected}), then that it is back ({@code ready}).
 * Thread-safe.
 */
public final class FakeKeyturn {
  private final Clock clock;
  private final Map<String, FakeSecret> secrets = new TreeMap<>();
  private final Map<String, Registered> consumers = new TreeMap<>();
  private final Map<String, String[]> rules = new TreeMap<>();
  private final List<FakeClient.Subscription> watches = new CopyOnWriteArrayList<>();
  private volatile boolean unavailable;
  private long generated;
  private int tokens;

  /** A fake on the system clock. */
  public FakeKeyturn() {
    this(Clock.systemUTC());
  }

  /** A fake on {@code clock} (a test's settable clock, to end grace windows). */
  public FakeKeyturn(Clock clock) {
    this.clock = requireNonNull(clock, "clock");
  }

  /** A client whose token holds {@code admin:*}. */
  public KeyturnClient client() {
    return client("admin:*");
  }

  /**
   * A client whose token holds {@code grants} ({@code read:app/*}, {@code write:app/prod/DB} ...;
   * capabilities {@code read}, {@code list}, {@code write}, {@code rotate}, {@code admin}).
   *
   * @throws IllegalArgumentException for a grant that is not {@code capability:glob}
   */
  public KeyturnClient client(String... grants) {
    List<Grant> parsed = new ArrayList<>();
    for (String g : grants) {
      parsed.add(Grant.parse(g));
    }
    synchronized (this) {
      tokens++;
      return new FakeClient(this, "tok_" + tokens, parsed);
    }
  }

  /**
   * Stores {@code value} as a new current version of {@code name} (the old one retired), without
   * any grant: for arranging a test.
   */
  public FakeKeyturn put(String name, String value) {
    write(PutRequest.text(name, value), "fake");
    return this;
  }

  /**
   * As a rotation with overlap does: stores {@code value} as the new current version of {@code
   * name}, the old one previous for {@code grace}.
   */
  public FakeKeyturn rotate(String name, String value, Duration grace) {
    write(PutRequest.builder(name).text(value).grace(grace).build(), "fake");
    return this;
  }

  /** Sets the rotation rule's {@code generator} and {@code grace} ({@code 24h}) of {@code name}. */
  public synchronized FakeKeyturn rule(String name, String generator, String grace) {
    rules.put(
        requireNonNull(name, "name"),
        new String[] {requireNonNull(generator, "generator"), requireNonNull(grace, "grace")});
    return this;
  }

  /**
   * While {@code down}, every call of every client fails with {@link KeyturnUnavailableException}
   * (as a server that is unreachable), and no change event is delivered.
   */
  public FakeKeyturn unavailable(boolean down) {
    boolean was = this.unavailable;
    this.unavailable = down;
    if (was != down) {
      for (FakeClient.Subscription w : watches) {
        if (down) {
          w.disconnected();
        } else {
          w.reconnected();
        }
      }
    }
    return this;
  }

  /** The live consumer registrations (whose ttl has not run out), by id. */
  public synchronized Map<String, ConsumerRegistration> consumers() {
    Instant now = clock.instant();
    Map<String, ConsumerRegistration> out = new TreeMap<>();
    consumers.forEach((id, r) -> {
      if (r.expiresAt.isAfter(now)) {
        out.put(id, r.registration);
      }
    });
    return out;
  }

  /** The version numbers of {@code name} and their stages now, oldest first (for assertions). */
  public synchronized Map<Integer, Stage> stages(String name) {
    FakeSecret s = secrets.get(name);
    if (s == null) {
      throw new KeyturnNotFoundException("not_found", name + " does not exist");
    }
    Map<Integer, Stage> out = new TreeMap<>();
    s.expire(clock.instant());
    s.versions.forEach(v -> out.put(v.number, v.stage));
    return out;
  }

  Clock clock() {
    return clock;
  }

  void checkAvailable() {
    if (unavailable) {
      throw new KeyturnUnavailableException(
          "unavailable", "the fake Keyturn server is unavailable", Optional.empty());
    }
  }

  synchronized Optional<String[]> ruleOf(String name) {
    return Optional.ofNullable(rules.get(name));
  }

  /** Reads under the lock: {@code reader} sees the secret with expired grace windows retired. */
  synchronized <T> T read(String name, java.util.function.Function<FakeSecret, T> reader) {
    FakeSecret s = secrets.get(name);
    if (s == null) {
      throw new KeyturnNotFoundException("not_found", name + " does not exist");
    }
    s.expire(clock.instant());
    return reader.apply(s);
  }

  synchronized List<FakeSecret> all() {
    Instant now = clock.instant();
    secrets.values().forEach(s -> s.expire(now));
    return List.copyOf(secrets.values());
  }

  /** Writes; change events go out after the lock is released. */
  FakeSecret.Version write(PutRequest request, String actor) {
    List<SecretChange> changes = new ArrayList<>();
    FakeSecret.Version made;
    synchronized (this) {
      Instant now = clock.instant();
      FakeSecret s = secrets.computeIfAbsent(request.name(), FakeSecret::new);
      s.expire(now);
      if (request.expectedVersion().isPresent()) {
        int current = s.current().map(v -> v.number).orElse(0);
        int expected = request.expectedVersion().get();
        if (current != expected) {
          if (s.versions.isEmpty()) {
            secrets.remove(request.name());
          }
          throw new KeyturnConflictException(
              "cas_mismatch",
              request.name()
                  + ": cas "
                  + expected
                  + " does not match the current version "
                  + (current == 0 ? "(none)" : String.valueOf(current)),
              null);
        }
      }
      if (request.stage() == Stage.PENDING && s.pending().isPresent()) {
        throw new KeyturnConflictException(
            "conflict",
            request.name()
                + "#"
                + s.pending().get().number
                + " is already pending; promote or retire it first",
            null);
      }
      byte[] value = request.revealValue().orElseGet(() -> generate(request));
      if (value.length == 0) {
        throw new KeyturnInvalidRequestException(
            "invalid_request", request.name() + ": the value is empty");
      }
      made = s.add(value, request.isJson(), request.stage(), request.grace(), now, changes);
    }
    publish(changes);
    return made;
  }

  private byte[] generate(PutRequest request) {
    String spec = request.generator().orElseThrow();
    if (!spec.matches("hex:[0-9]{1,3}")) {
      throw new KeyturnInvalidRequestException(
          "invalid_request", "the fake generates hex:N values only, not " + spec);
    }
    int n = Integer.parseInt(spec.substring(4));
    StringBuilder out = new StringBuilder();
    while (out.length() < 2 * n) {
      out.append(String.format("%016x", ++generated));
    }
    return out.substring(0, 2 * n).getBytes(StandardCharsets.UTF_8);
  }

  synchronized void register(String token, ConsumerRegistration registration) {
    Registered old = consumers.get(registration.id());
    Instant now = clock.instant();
    if (old != null && !old.token.equals(token) && old.expiresAt.isAfter(now)) {
      throw new KeyturnConflictException(
          "conflict", "consumer " + registration.id() + " belongs to another token", null);
    }
    consumers.put(
        registration.id(), new Registered(token, registration, now.plus(registration.ttl())));
  }

  synchronized void depart(String token, String id) {
    Registered old = consumers.get(id);
    if (old == null) {
      return;
    }
    if (!old.token.equals(token)) {
      throw new KeyturnForbiddenException(
          "forbidden", "consumer " + id + " belongs to another token");
    }
    consumers.remove(id);
  }

  void subscribe(FakeClient.Subscription s) {
    watches.add(s);
  }

  void unsubscribe(FakeClient.Subscription s) {
    watches.remove(s);
  }

  private void publish(List<SecretChange> changes) {
    if (unavailable) {
      return;
    }
    for (SecretChange c : changes) {
      for (FakeClient.Subscription w : watches) {
        w.deliver(c);
      }
    }
  }

  private record Registered(String token, ConsumerRegistration registration, Instant expiresAt) {}

  /** One grant, {@code capability:glob}; {@code *} matches any characters, {@code /} included. */
  record Grant(String capability, String glob) {
    private static final List<String> CAPABILITIES =
        List.of("read", "list", "write", "rotate", "admin");

    static Grant parse(String text) {
      int colon = requireNonNull(text, "grant").indexOf(':');
      if (colon < 1 || !CAPABILITIES.contains(text.substring(0, colon))) {
        throw new IllegalArgumentException(
            "a grant is capability:glob with capability read, list, write, rotate or admin");
      }
      return new Grant(text.substring(0, colon), text.substring(colon + 1));
    }

    boolean allows(String wanted, String name) {
      return (capability.equals(wanted) || capability.equals("admin")) && matches(glob, name);
    }

    static boolean matches(String glob, String name) {
      StringBuilder regex = new StringBuilder();
      for (String part : glob.split("\\*", -1)) {
        if (regex.length() > 0) {
          regex.append(".*");
        }
        regex.append(java.util.regex.Pattern.quote(part));
      }
      return name.matches(regex.toString());
    }
  }
}
