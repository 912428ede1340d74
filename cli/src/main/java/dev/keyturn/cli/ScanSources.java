package dev.keyturn.cli;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a scan reads: files below the PATHs given (hidden and git-ignored ones included; {@code
 * .git/} folders and symbolic links not; files over the size limit reported skipped), or every blob
 * reachable from any ref of a git repository, once, read with the real {@code git}.
 */
final class ScanSources {
  private ScanSources() {}

  /** The regular files at or below {@code roots}, largest first (so threads finish together). */
  static List<ScanJob.Doc> files(List<Path> roots, Path workingDir, long maxSize, ScanJob job)
      throws IOException {
    List<Path> found = new ArrayList<>();
    Map<Path, Long> sizes = new HashMap<>();
    for (Path root : roots) {
      if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
        throw new IllegalArgumentException(root + ": no such file or folder");
      }
      if (Files.isSymbolicLink(root)) {
        job.skip(shown(root, workingDir), "symbolic link");
        continue;
      }
      Files.walkFileTree(
          root,
          EnumSet.noneOf(java.nio.file.FileVisitOption.class),
          Integer.MAX_VALUE,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              return dir.getFileName() != null
                      && dir.getFileName().toString().equals(".git")
                      && !dir.equals(root)
                  ? FileVisitResult.SKIP_SUBTREE
                  : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (!attrs.isRegularFile()) {
                return FileVisitResult.CONTINUE; // symbolic links, devices, sockets
              }
              if (attrs.size() > maxSize) {
                job.skip(shown(file, workingDir), "larger than --max-size");
              } else {
                found.add(file);
                sizes.put(file, attrs.size());
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              job.skip(shown(file, workingDir), "unreadable");
              return FileVisitResult.CONTINUE;
            }
          });
    }
    found.sort((a, b) -> Long.compare(sizes.get(b), sizes.get(a)));
    return found.stream()
        .map(p -> new ScanJob.Doc(shown(p, workingDir), Optional.of(p), null, null))
        .toList();
  }

  /** A path as reports show it: relative to the working folder when it lies below it. */
  private static String shown(Path file, Path workingDir) {
    return file.startsWith(workingDir) && !file.equals(workingDir)
        ? workingDir.relativize(file).toString()
        : file.toString();
  }

  /** Reads every file of {@code docs} on the job's threads. */
  static void readFiles(List<ScanJob.Doc> docs, ScanJob job) {
    AtomicInteger next = new AtomicInteger();
    job.run((worker, thread) -> {
      int i;
      while ((i = next.getAndIncrement()) < docs.size()) {
        worker.read(docs.get(i));
      }
    });
  }

  /**
   * Reads every blob reachable from any ref of {@code repo} once, on the job's threads (each with
   * its own {@code git cat-file --batch}), and names in each finding the commit that introduced its
   * blob.
   *
   * @throws IllegalArgumentException when {@code repo} is no git repository
   */
  static void readGit(Path repo, long maxSize, int threads, ScanJob job)
      throws IOException, InterruptedException {
    if (!Files.isDirectory(repo) || run(repo, List.of("rev-parse", "--git-dir")).exitCode() != 0) {
      throw new IllegalArgumentException(repo + " is no git repository");
    }
    Map<String, String> paths = new LinkedHashMap<>();
    for (String line : run(repo, List.of("rev-list", "--all", "--objects")).lines()) {
      int space = line.indexOf(' ');
      if (space > 0) {
        paths.putIfAbsent(line.substring(0, space), line.substring(space + 1));
      }
    }
    List<String> blobs = new ArrayList<>();
    Map<String, Long> sizes = new HashMap<>();
    Output check =
        run(
            repo,
            List.of("cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"),
            String.join("\n", paths.keySet()) + "\n");
    for (String line : check.lines()) {
      String[] f = line.split(" ");
      if (f.length == 3 && f[1].equals("blob")) {
        long size = Long.parseLong(f[2]);
        if (size > maxSize) {
          job.skip(paths.get(f[0]) + " (blob " + f[0] + ")", "larger than --max-size");
        } else {
          blobs.add(f[0]);
          sizes.put(f[0], size);
        }
      }
    }
    job.run((worker, thread) -> {
      List<String> mine = new ArrayList<>();
      for (int i = thread; i < blobs.size(); i += threads) {
        mine.add(blobs.get(i));
      }
      try {
        catFiles(repo, mine, paths, worker);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    List<ScanFinding> found = job.findings();
    Map<String, String> introduced = new HashMap<>();
    for (ScanFinding f : found) {
      if (f.blob() != null && !introduced.containsKey(f.blob())) {
        List<String> commits =
            run(
                    repo,
                    List.of(
                        "log", "--all", "--reverse", "--format=%H", "--find-object=" + f.blob()))
                .lines();
        introduced.put(f.blob(), commits.isEmpty() ? null : commits.get(0));
      }
    }
    job.replace(
        found.stream()
            .map(f -> f.blob() == null ? f : f.inCommit(introduced.get(f.blob())))
            .toList());
  }

  private static void catFiles(
      Path repo, List<String> blobs, Map<String, String> paths, ScanJob.Worker worker)
      throws IOException {
    if (blobs.isEmpty()) {
      return;
    }
    Process git =
        new ProcessBuilder("git", "-C", repo.toString(), "cat-file", "--batch")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    Thread feeder =
        new Thread(() -> {
          try (OutputStream out = git.getOutputStream()) {
            for (String blob : blobs) {
              out.write((blob + "\n").getBytes(StandardCharsets.US_ASCII));
            }
          } catch (IOException e) {
            // git ended early; the reader below sees the short stream
          }
        });
    feeder.start();
    try (InputStream in = new BufferedInputStream(git.getInputStream(), 1 << 16)) {
      for (String blob : blobs) {
        String header = readLine(in);
        String[] f = header.split(" ");
        if (f.length != 3 || !f[0].equals(blob)) {
          throw new IOException("git cat-file answered out of turn");
        }
        byte[] content = in.readNBytes(Integer.parseInt(f[2]));
        in.read(); // the newline after the content
        worker.read(new ScanJob.Doc(paths.get(blob), Optional.empty(), content, blob));
      }
    } finally {
      git.destroy();
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      line.append((char) c);
    }
    return line.toString();
  }

  /** A finished {@code git} run: its exit code and standard output's lines. */
  record Output(int exitCode, List<String> lines) {}

  private static Output run(Path repo, List<String> args) throws IOException, InterruptedException {
    return run(repo, args, null);
  }

  private static Output run(Path repo, List<String> args, String input)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("git", "-C", repo.toString()));
    command.addAll(args);
    Process git =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    Thread feeder = null;
    if (input != null) {
      feeder =
          new Thread(() -> {
            try (OutputStream out = git.getOutputStream()) {
              out.write(input.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
              // git ended early; its exit code tells
            }
          });
      feeder.start();
    } else {
      git.getOutputStream().close();
    }
    List<String> lines = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(git.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        lines.add(line);
      }
    }
    int code = git.waitFor();
    if (feeder != null) {
      feeder.join();
    }
    return new Output(code, lines);
  }
}
