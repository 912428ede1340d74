package dev.keyturn.cli;

import dev.keyturn.api.FingerprintResponse;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.KeyturnVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One {@code keyturn scan} once its command line is read, by {@link ScanCommand} or {@link
 * FastScan}: the fingerprint request (unless patterns only), the files and git blobs read, the
 * report printed or written. What it found is returned for {@code --rotate}.
 */
final class ScanRun {
  /** The checked options of one scan (paths not yet resolved). */
  record Options(
      List<Path> paths,
      Path git,
      boolean noPatterns,
      boolean patternsOnly,
      int threads,
      long maxSize,
      String format,
      Path out) {}

  private ScanRun() {}

  /**
   * Runs the scan {@code options} describe, with the fingerprint answer from {@code fingerprints}
   * (asked once, unless patterns only), prints the report and returns what it holds.
   *
   * @throws KeyturnException.InvalidInput when a path does not exist or a git repository is none
   */
  static ScanReport.Result run(Io io, Options options, Supplier<FingerprintResponse> fingerprints)
      throws IOException, InterruptedException {
    Optional<ScanIndex> index = Optional.empty();
    if (!options.patternsOnly()) {
      index = Optional.of(new ScanIndex(fingerprints.get()));
    }
    ScanJob job = new ScanJob(index, !options.noPatterns(), options.threads());
    List<Path> roots =
        options.paths().isEmpty() && options.git() == null
            ? List.of(Path.of("."))
            : options.paths();
    try {
      List<Path> resolved = roots.stream().map(p -> resolve(io, p)).toList();
      ScanSources.readFiles(
          ScanSources.files(resolved, io.workingDir(), options.maxSize(), job), job);
      if (options.git() != null) {
        ScanSources.readGit(resolve(io, options.git()), options.maxSize(), options.threads(), job);
      }
    } catch (IllegalArgumentException e) {
      throw new KeyturnException.InvalidInput(e.getMessage());
    }
    ScanReport.Result result =
        new ScanReport.Result(
            job.findings(),
            index.map(i -> i.unsearched).orElse(List.of()),
            job.skipped(),
            index.map(i -> i.unreadable).orElse(0),
            job.documents.get(),
            job.bytes.get(),
            index.isPresent());
    String report =
        switch (options.format()) {
          case "json" -> ScanReport.json(result) + "\n";
          case "sarif" -> ScanReport.sarif(result, KeyturnVersion.get()) + "\n";
          default -> ScanReport.text(result);
        };
    if (options.out() != null) {
      Files.writeString(resolve(io, options.out()), report, StandardCharsets.UTF_8);
    } else {
      io.out().print(report);
      io.out().flush();
    }
    if (options.format().equals("text") || options.out() != null) {
      for (ScanIndex.Unsearched u : result.unsearched()) {
        io.err()
            .println(
                "not searched: "
                    + u.name()
                    + "#"
                    + u.version()
                    + " ("
                    + u.stage()
                    + "): under 8 bytes");
      }
      for (ScanJob.Skipped s : result.skipped()) {
        io.err().println(ScanReport.printable("skipped: " + s.path() + ": " + s.why()));
      }
      io.err().println(ScanReport.summary(result));
    }
    return result;
  }

  static Path resolve(Io io, Path p) {
    return p.isAbsolute() ? p : io.workingDir().resolve(p).normalize();
  }
}
