package dev.keyturn.app;

import java.util.Arrays;

/**
 * The entry point of the one runnable jar: {@code server} and the local {@code operator} commands
 * go to the server module, a plain {@code generate} and the common commands ({@code get}, {@code
 * put --stdin}, {@code ls}, {@code status}, help) to their framework-free fast paths, every other
 * command to the CLI. Keeps the CLI path free of the server's classes.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("server")) {
      dev.keyturn.server.Main.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("operator")) {
      dev.keyturn.server.Operator.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (dev.keyturn.cli.FastGenerate.handles(args)) {
      int code = dev.keyturn.cli.FastGenerate.run(args, System.out, System.err);
      if (code != 0) {
        System.exit(code);
      }
      return;
    }
    int code = dev.keyturn.cli.FastCli.run(args);
    if (code == dev.keyturn.cli.FastCli.DECLINED) {
      dev.keyturn.cli.KeyturnCli.main(args);
      return;
    }
    System.out.flush();
    if (code != 0) {
      System.exit(code);
    }
  }
}
