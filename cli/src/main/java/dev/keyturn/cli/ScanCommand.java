package dev.keyturn.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keyturn scan}: finds managed values and known kinds of secret in files and git history.
 */
@Command(
    name = "scan",
    mixinStandardHelpOptions = true,
    description = {
      "Finds the values Keyturn manages (pending, current and previous versions the token may"
          + " read; raw, base64 and percent-encoded) and known kinds of secret (docs/scan.md) in"
          + " files and git history. Never prints any part of a value.",
      "Exits 0 when nothing is found, 3 when something is, 1 when it could not run, 2 on bad"
          + " usage. Without a server only --patterns-only runs."
    })
final class ScanCommand extends ClientCommand implements Callable<Integer> {
  @Parameters(paramLabel = "PATH", arity = "0..*", description = "Files or folders (default: .).")
  List<Path> paths = new ArrayList<>();

  @Option(
      names = "--git",
      arity = "0..1",
      fallbackValue = ".",
      paramLabel = "REPO",
      description =
          "Also read every blob reachable from any ref of REPO (default: .) once, naming the"
              + " commit that introduced it.")
  Path git;

  @Option(
      names = "--prefix",
      paramLabel = "P",
      description = "Look for the secrets at or below P only (default: every one).")
  String prefix = "";

  @Option(
      names = "--encodings",
      split = ",",
      paramLabel = "E",
      description = "raw, base64, url (default: all three).")
  List<String> encodings = new ArrayList<>();

  @Option(names = "--no-patterns", description = "Look for managed values only.")
  boolean noPatterns;

  @Option(
      names = "--patterns-only",
      description = "Look for known kinds of secret only; needs no server.")
  boolean patternsOnly;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "Threads reading files (default: the processors).")
  Integer threads;

  @Option(
      names = "--max-size",
      paramLabel = "SIZE",
      description =
          "Skip (and report) files larger than this: bytes, or with K, M, G (default: 100M).")
  String maxSize = "100M";

  @Option(
      names = "--format",
      paramLabel = "F",
      description = "text, json or sarif (default: text).")
  String format = "text";

  @Option(names = "--out", paramLabel = "FILE", description = "Write the report to FILE.")
  Path out;

  @Option(
      names = "--rotate",
      description =
          "Act on found managed values: emergency rotation of a current one, retire a previous"
              + " one, cancel a pending one's rotation and start an emergency one.")
  boolean rotate;

  @Option(names = "--yes", description = "Do not ask before --rotate (needed off a terminal).")
  boolean yes;

  @Override
  public Integer call() throws IOException, InterruptedException {
    checkUsage();
    ScanRun.Options options =
        new ScanRun.Options(
            paths,
            git,
            noPatterns,
            patternsOnly,
            threads == null ? Runtime.getRuntime().availableProcessors() : threads,
            size(maxSize),
            format,
            out);
    ScanReport.Result result =
        ScanRun.run(io(), options, () -> client().fingerprints(prefix, encodings));
    if (rotate) {
      rotateFound(result.findings());
    }
    return result.findings().isEmpty() ? ExitCode.OK : ExitCode.FOUND;
  }

  private void rotateFound(List<ScanFinding> findings) throws InterruptedException {
    Map<String, Map<Integer, ScanFinding>> secrets = ScanRotation.bySecret(findings);
    PrintStream err = io().err();
    if (secrets.isEmpty()) {
      return;
    }
    if (!yes) {
      err.print("Act on " + secrets.size() + " leaked secret(s) (rotate, retire)? [y/N] ");
      err.flush();
      String answer = readLine();
      if (!answer.trim().toLowerCase(Locale.ROOT).startsWith("y")) {
        err.println("nothing rotated");
        return;
      }
    }
    new ScanRotation(client(), err).run(secrets);
  }

  private String readLine() {
    StringBuilder line = new StringBuilder();
    try {
      int c;
      while ((c = io().in().read()) >= 0 && c != '\n') {
        line.append((char) c);
      }
    } catch (IOException e) {
      return "";
    }
    return line.toString();
  }

  private void checkUsage() {
    CommandLine cli = spec.commandLine();
    if (noPatterns && patternsOnly) {
      throw new CommandLine.ParameterException(
          cli, "--no-patterns and --patterns-only exclude each other");
    }
    if (!List.of("text", "json", "sarif").contains(format)) {
      throw new CommandLine.ParameterException(cli, "--format is text, json or sarif");
    }
    for (String e : encodings) {
      if (!List.of("raw", "base64", "url").contains(e)) {
        throw new CommandLine.ParameterException(cli, "--encodings takes raw, base64 and url");
      }
    }
    if (threads != null && (threads < 1 || threads > 256)) {
      throw new CommandLine.ParameterException(cli, "--threads is between 1 and 256");
    }
    if (rotate && patternsOnly) {
      throw new CommandLine.ParameterException(cli, "--rotate needs managed values searched");
    }
    if (rotate && !yes && !io().terminal()) {
      throw new CommandLine.ParameterException(
          cli, "--rotate asks for confirmation on a terminal; elsewhere add --yes");
    }
    if (yes && !rotate) {
      throw new CommandLine.ParameterException(cli, "--yes goes with --rotate");
    }
    try {
      size(maxSize);
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(
          cli, "--max-size is bytes, or a number with K, M or G");
    }
  }

  /** Bytes, or a number with K, M or G (powers of 1024). */
  static long size(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
    long unit = 1;
    if (t.endsWith("K")) {
      unit = 1L << 10;
    } else if (t.endsWith("M")) {
      unit = 1L << 20;
    } else if (t.endsWith("G")) {
      unit = 1L << 30;
    }
    if (unit > 1) {
      t = t.substring(0, t.length() - 1);
    }
    long n = Long.parseLong(t);
    if (n < 0 || n > (Long.MAX_VALUE / unit)) {
      throw new NumberFormatException("out of range");
    }
    return n * unit;
  }
}
