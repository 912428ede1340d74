package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A process that uses secrets and reports which versions it holds ({@code keyturn run --watch}, the
 * agent, the SDK): registered and kept alive by {@code PUT /v1/consumers/{id}}. While it is live
 * (heard from within its ttl) a previous version it still {@linkplain Holding#using uses} is not
 * retired, up to the rule's consumer deadline. Holds names and version numbers, never a value.
 *
 * @param id chosen by the consumer: {@code [A-Za-z0-9._-]{1,64}}
 * @param owner the id of the token that registered it; only that token may change or remove it
 * @param name a label for people (host, service): printable ASCII, at most {@value #MAX_NAME}
 * @param ttl how long it counts as live after each heartbeat: {@value #MIN_TTL_SECONDS} to {@value
 *     #MAX_TTL_SECONDS} seconds
 * @param registeredAt when this id was registered by its owner
 * @param lastSeen the last heartbeat
 */
public record Consumer(
    String id,
    String owner,
    String name,
    Kind kind,
    List<Holding> holdings,
    Duration ttl,
    Instant registeredAt,
    Instant lastSeen) {
  public static final int MIN_TTL_SECONDS = 10;
  public static final int MAX_TTL_SECONDS = 3600;
  public static final int MAX_NAME = 128;
  public static final int MAX_SECRETS = 100;
  public static final int MAX_ACCEPTING = 32;

  /**
   * Marks a failed version in {@link #encodeHoldings}; found in no other part of that text, so a
   * store can find the registrations that report a failure by it alone.
   */
  public static final String FAILED_MARK = "!";

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern NAME = Pattern.compile("[\\x20-\\x7e]{1," + MAX_NAME + "}");

  /** What kind of process it is. */
  public enum Kind {
    RUN,
    AGENT,
    SDK;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws KeyturnException.InvalidInput for anything but {@code run}, {@code agent}, {@code
     *     sdk}
     */
    public static Kind fromWire(String wire) {
      for (Kind k : values()) {
        if (k.wireName().equals(wire)) {
          return k;
        }
      }
      throw new KeyturnException.InvalidInput("kind is run, agent or sdk");
    }
  }

  /**
   * What a consumer holds of one secret.
   *
   * @param using the version it signs, encrypts or connects with
   * @param accepting the versions it verifies or decrypts with (a keyring), besides {@code using}
   * @param failed a version it tried to apply and could not (an agent whose reload or health check
   *     failed, so it put the previous file back), or 0 for none
   */
  public record Holding(SecretName secret, int using, List<Integer> accepting, int failed) {
    public Holding {
      requireNonNull(secret, "secret");
      accepting = List.copyOf(accepting);
      if (using < 1 || accepting.stream().anyMatch(v -> v < 1) || failed < 0) {
        throw new KeyturnException.InvalidInput(secret + ": version numbers start at 1");
      }
      if (failed == using) {
        throw new KeyturnException.InvalidInput(
            secret + ": failed names a version it could not apply, not the one it uses");
      }
      if (accepting.size() > MAX_ACCEPTING) {
        throw new KeyturnException.InvalidInput(
            secret + ": at most " + MAX_ACCEPTING + " accepted versions");
      }
    }

    /** A holding with no failed version. */
    public Holding(SecretName secret, int using, List<Integer> accepting) {
      this(secret, using, accepting, 0);
    }

    /** The version it could not apply, if any. */
    public Optional<Integer> failedVersion() {
      return failed == 0 ? Optional.empty() : Optional.of(failed);
    }

    /** True if it uses or accepts {@code version}. */
    public boolean accepts(int version) {
      return using == version || accepting.contains(version);
    }

    /**
     * {@code NAME#3}, {@code NAME#3 (accepting 4,3)} or {@code NAME#3 (failed to apply #4)}, for
     * audit details and logs.
     */
    public String describe() {
      return secret
          + "#"
          + using
          + (accepting.isEmpty()
              ? ""
              : " (accepting "
                  + String.join(",", accepting.stream().map(String::valueOf).toList())
                  + ")")
          + (failed == 0 ? "" : " (failed to apply #" + failed + ")");
    }
  }

  public Consumer {
    requireNonNull(id, "id");
    requireNonNull(owner, "owner");
    requireNonNull(name, "name");
    requireNonNull(kind, "kind");
    holdings = List.copyOf(holdings);
    requireNonNull(ttl, "ttl");
    requireNonNull(registeredAt, "registeredAt");
    requireNonNull(lastSeen, "lastSeen");
    if (!ID.matcher(id).matches()) {
      throw new KeyturnException.InvalidInput("a consumer id is 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    if (!NAME.matcher(name).matches()) {
      throw new KeyturnException.InvalidInput(
          "a consumer name is 1 to " + MAX_NAME + " printable ASCII characters");
    }
    long seconds = ttl.toSeconds();
    if (seconds < MIN_TTL_SECONDS
        || seconds > MAX_TTL_SECONDS
        || !ttl.equals(Duration.ofSeconds(seconds))) {
      throw new KeyturnException.InvalidInput(
          "ttl_seconds is a whole number from " + MIN_TTL_SECONDS + " to " + MAX_TTL_SECONDS);
    }
    if (holdings.isEmpty() || holdings.size() > MAX_SECRETS) {
      throw new KeyturnException.InvalidInput("a consumer names 1 to " + MAX_SECRETS + " secrets");
    }
    Set<SecretName> seen = new HashSet<>();
    for (Holding h : holdings) {
      if (!seen.add(h.secret())) {
        throw new KeyturnException.InvalidInput(h.secret() + " is named twice");
      }
    }
  }

  /** When it stops counting as live unless it sends another heartbeat. */
  public Instant expiresAt() {
    return lastSeen.plus(ttl);
  }

  /** True if it was heard from within its ttl before {@code now}. */
  public boolean liveAt(Instant now) {
    return expiresAt().isAfter(now);
  }

  /** What it holds of {@code secret}, if it names it. */
  public Optional<Holding> holding(SecretName secret) {
    return holdings.stream().filter(h -> h.secret().equals(secret)).findFirst();
  }

  /** This registration after a heartbeat at {@code now} with what it now holds. */
  public Consumer heartbeat(
      String name, Kind kind, List<Holding> holdings, Duration ttl, Instant now) {
    return new Consumer(id, owner, name, kind, holdings, ttl, registeredAt, now);
  }

  /** True if {@code other} says the same as this one, apart from when it was last seen. */
  public boolean sameHoldings(Consumer other) {
    return name.equals(other.name)
        && kind == other.kind
        && holdings.equals(other.holdings)
        && ttl.equals(other.ttl);
  }

  /**
   * The holdings in their stored form, one {@code NAME:USING:A,B} per secret, or {@code
   * NAME:USING:A,B:!FAILED} when it failed to apply a version, joined by {@code ;} (names hold
   * neither separator).
   */
  public String encodeHoldings() {
    List<String> out = new ArrayList<>();
    for (Holding h : holdings) {
      out.add(
          h.secret().value()
              + ":"
              + h.using()
              + ":"
              + String.join(",", h.accepting().stream().map(String::valueOf).toList())
              + (h.failed() == 0 ? "" : ":" + FAILED_MARK + h.failed()));
    }
    return String.join(";", out);
  }

  /**
   * Reads {@link #encodeHoldings}.
   *
   * @throws KeyturnException.InvalidInput if the text is not in that form
   */
  public static List<Holding> decodeHoldings(String text) {
    List<Holding> out = new ArrayList<>();
    try {
      for (String part : text.split(";", -1)) {
        String[] f = part.split(":", -1);
        if (f.length != 3 && f.length != 4) {
          throw new KeyturnException.InvalidInput("malformed holdings");
        }
        List<Integer> accepting = new ArrayList<>();
        if (!f[2].isEmpty()) {
          for (String a : f[2].split(",", -1)) {
            accepting.add(Integer.parseInt(a));
          }
        }
        int failed = 0;
        if (f.length == 4) {
          if (!f[3].startsWith(FAILED_MARK)) {
            throw new KeyturnException.InvalidInput("malformed holdings");
          }
          failed = Integer.parseInt(f[3].substring(FAILED_MARK.length()));
          if (failed < 1) {
            throw new KeyturnException.InvalidInput("malformed holdings");
          }
        }
        out.add(new Holding(SecretName.of(f[0]), Integer.parseInt(f[1]), accepting, failed));
      }
    } catch (NumberFormatException e) {
      throw new KeyturnException.InvalidInput("malformed holdings");
    }
    return out;
  }
}
