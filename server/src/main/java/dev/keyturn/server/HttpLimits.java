package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import java.time.Duration;
import java.util.Optional;

/**
 * How much of the HTTP listener one client may hold, checked at start. A client that sends its
 * request headers slower than {@code headerTimeout}, its body slower than {@code minRequestRate}
 * bytes a second on average, or nothing for {@code idleTimeout}, is disconnected; one client
 * address (as {@link TrustedProxies} decides it) has at most {@code maxRequestsPerClient} requests
 * in progress, and the next gets 429 at once. Long-lived event streams ({@code GET /v1/watch}) do
 * not count against that: the server holds at most {@code maxStreams} of them, from every client.
 *
 * @param maxRequestsPerClient requests in progress from one client address ({@code
 *     --max-requests-per-client})
 * @param headerTimeout time to send a request line and headers ({@code --header-timeout})
 * @param idleTimeout time a connection may send nothing ({@code --idle-timeout})
 * @param minRequestRate least average body rate in bytes a second ({@code --min-request-rate})
 * @param maxStreams open event streams on this server ({@code --max-streams})
 */
public record HttpLimits(
    int maxRequestsPerClient,
    Duration headerTimeout,
    Duration idleTimeout,
    long minRequestRate,
    int maxStreams) {
  public static final HttpLimits DEFAULT =
      new HttpLimits(32, Duration.ofSeconds(10), Duration.ofSeconds(30), 1024, 2000);

  /** The limits with the default cap on event streams. */
  public HttpLimits(
      int maxRequestsPerClient, Duration headerTimeout, Duration idleTimeout, long minRequestRate) {
    this(maxRequestsPerClient, headerTimeout, idleTimeout, minRequestRate, 2000);
  }

  public HttpLimits {
    requireNonNull(headerTimeout, "headerTimeout");
    requireNonNull(idleTimeout, "idleTimeout");
    if (maxRequestsPerClient < 1 || maxRequestsPerClient > 10_000) {
      throw new KeyturnException.InvalidInput(
          "--max-requests-per-client must be between 1 and 10000");
    }
    between("--header-timeout", headerTimeout, Duration.ofSeconds(1), Duration.ofMinutes(10));
    between("--idle-timeout", idleTimeout, Duration.ofSeconds(1), Duration.ofHours(1));
    if (minRequestRate < 1 || minRequestRate > 100L * 1024 * 1024) {
      throw new KeyturnException.InvalidInput(
          "--min-request-rate is in bytes a second, between 1 and 104857600");
    }
    if (maxStreams < 1 || maxStreams > 100_000) {
      throw new KeyturnException.InvalidInput("--max-streams must be between 1 and 100000");
    }
  }

  /** The defaults, overridden by each option given (null means not given). */
  public static HttpLimits of(
      Integer maxRequestsPerClient, String headerTimeout, String idleTimeout, Long minRequestRate) {
    return of(maxRequestsPerClient, headerTimeout, idleTimeout, minRequestRate, null);
  }

  /** The defaults, overridden by each option given (null means not given). */
  public static HttpLimits of(
      Integer maxRequestsPerClient,
      String headerTimeout,
      String idleTimeout,
      Long minRequestRate,
      Integer maxStreams) {
    return new HttpLimits(
        Optional.ofNullable(maxRequestsPerClient).orElse(DEFAULT.maxRequestsPerClient),
        duration("--header-timeout", headerTimeout).orElse(DEFAULT.headerTimeout),
        duration("--idle-timeout", idleTimeout).orElse(DEFAULT.idleTimeout),
        Optional.ofNullable(minRequestRate).orElse(DEFAULT.minRequestRate),
        Optional.ofNullable(maxStreams).orElse(DEFAULT.maxStreams));
  }

  private static Optional<Duration> duration(String option, String text) {
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Durations.parse(text));
    } catch (KeyturnException.InvalidInput e) {
      throw new KeyturnException.InvalidInput(option + ": " + e.getMessage());
    }
  }

  private static void between(String option, Duration d, Duration min, Duration max) {
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new KeyturnException.InvalidInput(
          option + " must be between " + Durations.format(min) + " and " + Durations.format(max));
    }
  }
}
