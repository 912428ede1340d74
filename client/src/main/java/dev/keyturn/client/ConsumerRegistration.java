package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import dev.keyturn.client.internal.Names;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A consumer registration or heartbeat ({@code PUT /v1/consumers/{id}}): the process {@code id}
 * holds, of each secret, the version it uses (signs, encrypts or connects with) and the versions it
 * accepts (verifies or decrypts with). The server keeps a previous version a live consumer still
 * uses from retirement. Names and numbers only, never a value. Immutable.
 *
 * @param id the consumer's id, {@code [A-Za-z0-9._-]{1,64}}; it belongs to the first token that
 *     registers it
 * @param name a label for people
 * @param kind what kind of process it is
 * @param holdings what it holds, per secret
 * @param ttl how long it counts as live after this call (10 s to 1 h)
 */
public record ConsumerRegistration(
    String id, String name, ConsumerKind kind, List<Holding> holdings, Duration ttl) {
  /** Checks and copies. */
  public ConsumerRegistration {
    Names.consumerId(id);
    requireNonNull(name, "name");
    requireNonNull(kind, "kind");
    holdings = List.copyOf(holdings);
    requireNonNull(ttl, "ttl");
    if (ttl.compareTo(Duration.ofSeconds(10)) < 0 || ttl.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("a consumer ttl is 10 s to 1 h");
    }
  }

  /** A builder for consumer {@code id} of kind {@code sdk} with a 90 s ttl. */
  public static Builder builder(String id) {
    return new Builder(id);
  }

  /**
   * What a consumer holds of one secret.
   *
   * @param secret the secret's name
   * @param using the version it uses
   * @param accepting the versions it accepts
   * @param failed a newer version it tried to apply and could not (it keeps using {@code using});
   *     the status board shows it and the server notifies
   */
  public record Holding(
      String secret, int using, List<Integer> accepting, Optional<Integer> failed) {
    /** Checks and copies. */
    public Holding {
      Names.secret(secret);
      if (using < 1) {
        throw new IllegalArgumentException("a version in use is 1 or more");
      }
      accepting = List.copyOf(accepting);
      requireNonNull(failed, "failed");
    }

    /** A holding with no failed version. */
    public Holding(String secret, int using, List<Integer> accepting) {
      this(secret, using, accepting, Optional.empty());
    }
  }

  /** Builds a {@link ConsumerRegistration}. */
  public static final class Builder {
    private final String id;
    private String name;
    private ConsumerKind kind = ConsumerKind.SDK;
    private final Map<String, Holding> holdings = new LinkedHashMap<>();
    private Duration ttl = Duration.ofSeconds(90);

    private Builder(String id) {
      this.id = Names.consumerId(id);
      this.name = id;
    }

    /** A label for people (default: the id). */
    public Builder name(String name) {
      this.name = requireNonNull(name, "name");
      return this;
    }

    /** The kind (default {@link ConsumerKind#SDK}). */
    public Builder kind(ConsumerKind kind) {
      this.kind = requireNonNull(kind, "kind");
      return this;
    }

    /** Holds version {@code using} of {@code secret} and accepts only that one. */
    public Builder holding(String secret, int using) {
      return holding(secret, using, List.of(using));
    }

    /** Holds version {@code using} of {@code secret} and accepts {@code accepting}. */
    public Builder holding(String secret, int using, List<Integer> accepting) {
      holdings.put(secret, new Holding(secret, using, new ArrayList<>(accepting)));
      return this;
    }

    /**
     * Holds version {@code using} of {@code secret}, accepts {@code accepting}, and could not apply
     * the newer version {@code failed}.
     */
    public Builder holdingFailed(String secret, int using, List<Integer> accepting, int failed) {
      holdings.put(
          secret, new Holding(secret, using, new ArrayList<>(accepting), Optional.of(failed)));
      return this;
    }

    /** How long it counts as live after each call (default 90 s; 10 s to 1 h). */
    public Builder ttl(Duration ttl) {
      this.ttl = requireNonNull(ttl, "ttl");
      return this;
    }

    /**
     * @throws IllegalStateException when it holds nothing
     */
    public ConsumerRegistration build() {
      if (holdings.isEmpty()) {
        throw new IllegalStateException("consumer " + id + " holds no secret");
      }
      return new ConsumerRegistration(id, name, kind, List.copyOf(holdings.values()), ttl);
    }
  }
}
