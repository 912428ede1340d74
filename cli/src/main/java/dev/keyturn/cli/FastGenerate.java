package dev.keyturn.cli;

import dev.keyturn.core.Generator;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import java.io.PrintStream;
import java.security.SecureRandom;

/**
 * {@code keyturn generate SPEC [--raw]} without the CLI framework: the hottest local command starts
 * in a fraction of picocli's time (docs/performance.md). Anything else, {@code --help} included,
 * goes to {@link KeyturnCli}, which prints the same output for the same arguments.
 */
public final class FastGenerate {
  private FastGenerate() {}

  /** True if {@code args} is a plain generate this class answers. */
  public static boolean handles(String[] args) {
    if (args.length < 2 || args.length > 3 || !args[0].equals("generate")) {
      return false;
    }
    int specs = 0;
    for (int i = 1; i < args.length; i++) {
      if (args[i].startsWith("-")) {
        if (!args[i].equals("--raw")) {
          return false;
        }
      } else {
        specs++;
      }
    }
    return specs == 1;
  }

  /** Runs a generate that {@link #handles} accepted; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    boolean raw = false;
    String spec = null;
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--raw")) {
        raw = true;
      } else {
        spec = args[i];
      }
    }
    try {
      Plaintext value = Generator.parse(spec).generate(new SecureRandom());
      out.writeBytes(value.reveal());
      if (!raw) {
        out.println();
      }
      out.flush();
      value.destroy();
      return 0;
    } catch (KeyturnException e) {
      err.println("keyturn: " + e.getMessage());
      return 1;
    }
  }
}
