package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.util.Optional;

/**
 * How {@link KeyturnClient#jwtKeyring(String, JwtOptions)} builds a JWT keyring: the algorithm to
 * sign and accept ({@code RS256}, {@code ES256}, {@code EdDSA} ...; by default the one the key type
 * implies) and the clock it checks times against (the system's UTC clock by default). Immutable.
 */
public final class JwtOptions {
  private static final JwtOptions DEFAULTS = new JwtOptions(null, Clock.systemUTC());

  private final String algorithm;
  private final Clock clock;

  private JwtOptions(String algorithm, Clock clock) {
    this.algorithm = algorithm;
    this.clock = clock;
  }

  /** The key type's algorithm and the system clock. */
  public static JwtOptions defaults() {
    return DEFAULTS;
  }

  /** Signs and accepts {@code algorithm} only. */
  public static JwtOptions algorithm(String algorithm) {
    return new JwtOptions(requireNonNull(algorithm, "algorithm"), Clock.systemUTC());
  }

  /** These options, checking times against {@code clock} (for tests). */
  public JwtOptions withClock(Clock clock) {
    return new JwtOptions(algorithm, requireNonNull(clock, "clock"));
  }

  /** The algorithm asked for, if any. */
  public Optional<String> algorithmName() {
    return Optional.ofNullable(algorithm);
  }

  /** The clock. */
  public Clock clock() {
    return clock;
  }
}
