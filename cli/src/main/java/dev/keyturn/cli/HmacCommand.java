package dev.keyturn.cli;

import dev.keyturn.keyring.HmacAlgorithm;
import dev.keyturn.keyring.HmacEncoding;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code keyturn hmac sign|verify}: HMAC signatures as {@code openssl dgst -hmac} makes them. */
@Command(
    name = "hmac",
    mixinStandardHelpOptions = true,
    description = {
      "Signs and verifies HMACs with a secret's keyring, as openssl dgst -hmac \"$SECRET\" does.",
      "The key is the value's UTF-8 bytes; the input is read exactly, no newline dropped."
    },
    subcommands = {HmacCommand.Sign.class, HmacCommand.Verify.class})
final class HmacCommand implements Runnable {
  @ParentCommand KeyturnCli root;

  @Override
  public void run() {
    new CommandLine(this).usage(root.io.out());
  }

  /** Reads {@code sha256}, {@code sha384}, {@code sha512}. */
  static final class AlgorithmConverter implements CommandLine.ITypeConverter<HmacAlgorithm> {
    @Override
    public HmacAlgorithm convert(String value) {
      return HmacAlgorithm.of(value);
    }
  }

  /** Reads {@code hex}, {@code base64}, {@code base64url}. */
  static final class EncodingConverter implements CommandLine.ITypeConverter<HmacEncoding> {
    @Override
    public HmacEncoding convert(String value) {
      return HmacEncoding.of(value);
    }
  }

  @Command(
      name = "sign",
      mixinStandardHelpOptions = true,
      description = "Prints the MAC of the input under the current version, and a newline.")
  static final class Sign extends ClientCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(
        names = "--algorithm",
        paramLabel = "ALG",
        converter = AlgorithmConverter.class,
        description = "sha256 (default), sha384 or sha512.")
    HmacAlgorithm algorithm = HmacAlgorithm.SHA256;

    @Option(
        names = "--encoding",
        paramLabel = "ENC",
        converter = EncodingConverter.class,
        description = "hex (default, lower case), base64 (padded) or base64url (unpadded).")
    HmacEncoding encoding = HmacEncoding.HEX;

    @ArgGroup(exclusive = true, multiplicity = "1")
    BodyInput input;

    @Override
    public Integer call() throws IOException {
      return KeyringActions.sign(
          io(), () -> client().hmacKeyring(name), algorithm, encoding, input.file());
    }
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Checks SIGNATURE (hex, base64 or base64url) over the input against every version of"
            + " the keyring, in constant time, and prints the one that made it.",
        "Exits 3 when no version did, 2 when SIGNATURE is malformed."
      })
  static final class Verify extends ClientCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Parameters(index = "1", paramLabel = "SIGNATURE")
    String signature;

    @Option(
        names = "--algorithm",
        paramLabel = "ALG",
        converter = AlgorithmConverter.class,
        description = "sha256 (default), sha384 or sha512.")
    HmacAlgorithm algorithm = HmacAlgorithm.SHA256;

    @Option(names = "--json", description = "Print name, valid, version and stage as JSON.")
    boolean json;

    @ArgGroup(exclusive = true, multiplicity = "1")
    BodyInput input;

    @Override
    public Integer call() throws IOException {
      return KeyringActions.verify(
          io(), name, signature, () -> client().hmacKeyring(name), algorithm, input.file(), json);
    }
  }
}
