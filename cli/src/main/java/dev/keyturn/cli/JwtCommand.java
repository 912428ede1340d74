package dev.keyturn.cli;

import dev.keyturn.client.internal.JwtKeyrings;
import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.keyring.EcMath;
import dev.keyturn.keyring.JwtKeyring;
import dev.keyturn.keyring.JwtKeyringException;
import dev.keyturn.keyring.JwtRejected;
import dev.keyturn.keyring.KeyringException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code keyturn jwt sign|verify}: JSON Web Tokens under a secret's keyring ({@link JwtKeyring}),
 * read with the {@code read} capability on the name. The secret's rotation rule sets the algorithm
 * (its generator) and the longest lifetime (its grace).
 */
@Command(
    name = "jwt",
    mixinStandardHelpOptions = true,
    description = {
      "Signs and verifies JSON Web Tokens with a secret's keyring.",
      "The rule's generator sets the algorithm: hex, base64 and base64url secrets sign HS256"
          + " (--alg HS384|HS512), rsa keys RS256 (--alg PS256), ec:p256 ES256, ec:p384 ES384,"
          + " ed25519 EdDSA. The kid is the key's RFC 7638 thumbprint."
    },
    subcommands = {JwtCommand.Sign.class, JwtCommand.Verify.class})
final class JwtCommand implements Runnable {
  /** Largest token or claims document read. */
  static final int MAX_INPUT = 256 * 1024;

  /**
   * The EC arithmetic of both paths' keyrings: Bouncy Castle's, whose first operation in a fresh
   * JVM is cheap (the CLI starts a JVM per command), with the same keys, kids and tokens.
   */
  static final Optional<EcMath> EC_MATH = Optional.of(BouncyCastleEcMath.INSTANCE);

  @ParentCommand KeyturnCli root;

  @Override
  public void run() {
    new picocli.CommandLine(this).usage(root.io.out());
  }

  /**
   * {@code jwt sign}: the claims ({@code json}, else the file's), signed under {@code keyring}'s
   * current version for {@code ttl} (null: the default). Shared by this command and {@link
   * FastJwt}, which fetch the keyring differently.
   */
  static int sign(
      Io io, String name, Supplier<JwtKeyring> keyring, String json, Path file, String ttl)
      throws IOException {
    String document = json != null ? json : Sign.readFile(io, file);
    Optional<java.time.Duration> lifetime = Optional.ofNullable(ttl).map(Durations::parse);
    JwtKeyring ring = keyring.get();
    String token;
    try {
      token = ring.sign(document, lifetime);
    } catch (JwtKeyringException | KeyringException.NoCurrentVersion e) {
      throw new KeyturnException.InvalidInput(name + ": " + e.getMessage());
    }
    io.out().println(token);
    return ExitCode.OK;
  }

  /** {@code jwt verify}: the token on standard input checked by {@code keyring}. */
  static int verify(Io io, Supplier<JwtKeyring> keyring) throws IOException {
    String token = Verify.readToken(io.in());
    JwtKeyring ring = keyring.get();
    try {
      io.out().println(ring.verify(token).claimsJson());
      return ExitCode.OK;
    } catch (JwtRejected e) {
      io.err().println("keyturn: token refused: " + e.getMessage());
      return ExitCode.FOUND;
    }
  }

  /** The keyring {@code fetch} gives, a secret that makes no JWT keyring as a usage error. */
  static JwtKeyring keyring(String name, Supplier<JwtKeyring> fetch) {
    try {
      return fetch.get();
    } catch (KeyringException e) {
      throw new KeyturnException.InvalidInput(name + ": " + e.getMessage());
    }
  }

  /** Shared by the subcommands. */
  abstract static class Sub extends ClientCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(
        names = "--alg",
        paramLabel = "ALG",
        description =
            "HS384 or HS512 for an HMAC secret, PS256 for an RSA key (default: the key's).")
    String alg;

    JwtKeyring keyring() {
      return JwtCommand.keyring(
          name,
          () ->
              JwtKeyrings.fetch(
                  client(), name, Optional.ofNullable(alg), Clock.systemUTC(), EC_MATH));
    }
  }

  @Command(
      name = "sign",
      mixinStandardHelpOptions = true,
      description = {
        "Prints a JWT of the claims, signed with the current version.",
        "Adds iat, exp (now + --ttl) and the header's kid. A --ttl beyond the rule's grace is"
            + " refused: the token would outlive the key that verifies it."
      })
  static final class Sign extends Sub implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Claims claims;

    static final class Claims {
      @Option(names = "--claims", paramLabel = "JSON", description = "The claims, a JSON object.")
      String json;

      @Option(
          names = "--claims-file",
          paramLabel = "FILE",
          description = "A file holding the claims, a JSON object.")
      Path file;
    }

    @Option(
        names = "--ttl",
        paramLabel = "DURATION",
        description = "Lifetime, e.g. 15m (default 1h, or the rule's grace if shorter).")
    String ttl;

    @Override
    public Integer call() throws IOException {
      return sign(io(), name, this::keyring, claims.json, claims.file, ttl);
    }

    /** The claims file (relative to the working folder), at most {@link #MAX_INPUT} bytes. */
    private static String readFile(Io io, Path file) {
      try (InputStream in = BodyInput.open(io, file)) {
        byte[] bytes = in.readNBytes(MAX_INPUT + 1);
        if (bytes.length > MAX_INPUT) {
          throw new KeyturnException.InvalidInput(
              "--claims-file is over " + MAX_INPUT / 1024 + " KiB");
        }
        return new String(bytes, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new KeyturnException.InvalidInput("cannot read " + file + ": " + e.getMessage());
      }
    }
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Reads a JWT on standard input and prints its claims if the keyring accepts it.",
        "Refused (exit 3, naming why): alg none, an algorithm other than the keyring's, a kid not"
            + " in the keyring (unknown or retired), a bad signature, no exp, exp or nbf beyond 60"
            + " s of leeway."
      })
  static final class Verify extends Sub implements Callable<Integer> {
    @Override
    public Integer call() throws IOException {
      return verify(io(), this::keyring);
    }

    private static String readToken(InputStream in) throws IOException {
      byte[] bytes = in.readNBytes(MAX_INPUT + 1);
      if (bytes.length > MAX_INPUT) {
        throw new KeyturnException.InvalidInput(
            "the token on standard input is over " + MAX_INPUT / 1024 + " KiB");
      }
      return new String(bytes, StandardCharsets.US_ASCII).strip();
    }
  }
}
