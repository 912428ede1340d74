package dev.keyturn.cli;

import dev.keyturn.core.Generator;
import dev.keyturn.core.Plaintext;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code keyturn generate SPEC}: makes a value locally; needs no server. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Generates a value locally and prints it (no server needed).",
      "SPEC: " + Generator.VALID_SPECS
    })
final class GenerateCommand implements Callable<Integer> {
  @ParentCommand KeyturnCli root;

  @Parameters(
      paramLabel = "SPEC",
      description = "e.g. hex:32, base64:32, django, fernet, password:24")
  String spec;

  @Option(names = "--raw", description = "Print the exact bytes, without a trailing newline.")
  boolean raw;

  @Override
  public Integer call() {
    Plaintext value = Generator.parse(spec).generate(new SecureRandom());
    root.io.out().writeBytes(value.reveal());
    if (!raw) {
      root.io.out().println();
    }
    root.io.out().flush();
    value.destroy();
    return 0;
  }
}
