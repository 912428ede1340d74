package dev.keyturn.client.internal;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.KeyringResponse;
import dev.keyturn.client.KeyturnClientException;
import dev.keyturn.keyring.EcMath;
import dev.keyturn.keyring.JwtKeyring;
import dev.keyturn.keyring.JwtKeyringException;
import dev.keyturn.keyring.KeyVersion;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A secret's {@link JwtKeyring} as the server's keyring gives it ({@code GET
 * /v1/keyrings/{name}?rule=true}, which needs {@code read} on the name): every version valid now,
 * the rule's generator (which sets the algorithm) and its grace (which bounds token lifetimes).
 * Fetch a new one after a rotation (or on a watch event); the keyring itself never calls the
 * server.
 */
public final class JwtKeyrings {
  private static final Pattern PART = Pattern.compile("([0-9]{1,9})([dhms])");

  private JwtKeyrings() {}

  /**
   * The keyring of {@code name}, signing and accepting {@code algorithm} if given, else the key
   * type's default.
   *
   * @throws KeyturnClientException as {@link WireClient#keyring} does
   * @throws dev.keyturn.keyring.KeyringException if the secret has no rotation rule, its generator
   *     makes no JWT key, or a version is not the key its generator makes
   */
  public static JwtKeyring fetch(
      WireClient client, String name, Optional<String> algorithm, Clock clock) {
    return fetch(client, name, algorithm, clock, Optional.empty());
  }

  /**
   * As {@link #fetch(WireClient, String, Optional, Clock)}, with the EC keys' arithmetic done by
   * {@code ecMath} if given (else the JDK's).
   *
   * @throws KeyturnClientException as {@link WireClient#keyring} does
   * @throws dev.keyturn.keyring.KeyringException as the other {@code fetch} does
   */
  public static JwtKeyring fetch(
      WireClient client,
      String name,
      Optional<String> algorithm,
      Clock clock,
      Optional<EcMath> ecMath) {
    requireNonNull(client, "client");
    requireNonNull(algorithm, "algorithm");
    requireNonNull(clock, "clock");
    KeyringResponse keyring = client.keyringWithRule(name);
    return of(
        name,
        keyring.generator(),
        keyring.grace(),
        algorithm,
        KeyringVersions.of(keyring),
        clock,
        ecMath);
  }

  /**
   * The keyring of {@code name} from the parts of the server's answer: the rule's {@code generator}
   * and {@code grace} (null when the secret has no rule) and the versions.
   *
   * @throws dev.keyturn.keyring.KeyringException as {@link #fetch} does
   */
  public static JwtKeyring of(
      String name,
      String generator,
      String grace,
      Optional<String> algorithm,
      List<KeyVersion> versions,
      Clock clock) {
    return of(name, generator, grace, algorithm, versions, clock, Optional.empty());
  }

  /**
   * As {@link #of(String, String, String, Optional, List, Clock)}, with the EC keys' arithmetic
   * done by {@code ecMath} if given (else the JDK's).
   *
   * @throws dev.keyturn.keyring.KeyringException as {@link #fetch} does
   */
  public static JwtKeyring of(
      String name,
      String generator,
      String grace,
      Optional<String> algorithm,
      List<KeyVersion> versions,
      Clock clock,
      Optional<EcMath> ecMath) {
    requireNonNull(name, "name");
    requireNonNull(algorithm, "algorithm");
    requireNonNull(clock, "clock");
    requireNonNull(ecMath, "ecMath");
    if (generator == null || grace == null) {
      throw new JwtKeyringException(
          name
              + " has no rotation rule: its generator sets the JWT algorithm and its grace bounds"
              + " token lifetimes (keyturn rotation set "
              + name
              + " --generate ... --grace ...)");
    }
    return JwtKeyring.of(name, generator, grace(grace), algorithm, versions, clock, ecMath);
  }

  /** A grace as the server writes it: {@code 0}, or {@code 1d2h3m4s} with any parts left out. */
  static Duration grace(String text) {
    if (text.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = PART.matcher(text);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "d" -> Duration.ofDays(n);
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofSeconds(n);
              });
      end = m.end();
    }
    if (end == 0 || end != text.length()) {
      throw new KeyturnClientException(
          200, "invalid_response", "the server's answer is not what this client expects");
    }
    return total;
  }
}
