package dev.keyturn.cli.doctor;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The checks on a file that holds secrets (an env file or a {@code _FILE} target): its mode and its
 * folder's (runbook C: mode 600), and whether git tracks it or would commit it (runbook D). Git is
 * asked through the real {@code git} command, so every ignore source counts.
 */
final class FileChecks {
  private static final Set<PosixFilePermission> OPEN =
      Set.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);
  private static final Set<PosixFilePermission> WRITABLE =
      Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

  private FileChecks() {}

  /**
   * {@code file.mode} when group or others have any access to {@code file}, {@code dir.mode} when
   * they may write its folder (and so replace the file).
   */
  static List<Finding> modes(Path file, String variable) {
    List<Finding> out = new ArrayList<>();
    permissions(file)
        .filter(p -> p.stream().anyMatch(OPEN::contains))
        .ifPresent(p ->
            out.add(
                Finding.error(
                    "file.mode",
                    variable,
                    file.toString(),
                    "mode "
                        + PosixFilePermissions.toString(p)
                        + " lets group or others read it; chmod 600 "
                        + file)));
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      permissions(dir)
          .filter(p -> p.stream().anyMatch(WRITABLE::contains))
          .filter(p -> !sticky(dir))
          .ifPresent(p ->
              out.add(
                  Finding.error(
                      "dir.mode",
                      variable,
                      dir.toString(),
                      "folder mode "
                          + PosixFilePermissions.toString(p)
                          + " lets group or others replace "
                          + file.getFileName()
                          + "; chmod go-w "
                          + dir)));
    }
    return out;
  }

  /**
   * {@code git.tracked} when git tracks {@code file}, {@code git.not-ignored} when it is inside a
   * work tree and git does not ignore it; nothing outside a work tree.
   */
  static List<Finding> git(Path file, String variable) {
    Path absolute = file.toAbsolutePath().normalize();
    Path dir = absolute.getParent();
    if (dir == null || !insideWorkTree(dir)) {
      return List.of();
    }
    if (run(dir, "ls-files", "--error-unmatch", "--", absolute.toString()) == 0) {
      return List.of(
          Finding.error(
              "git.tracked",
              variable,
              file.toString(),
              "git tracks this file, so its secrets are in the repository's history: git rm"
                  + " --cached it, add it to .gitignore and rotate what it held"));
    }
    if (run(dir, "check-ignore", "-q", "--", absolute.toString()) != 0) {
      return List.of(
          Finding.error(
              "git.not-ignored",
              variable,
              file.toString(),
              "inside a git work tree and not ignored, so it could be committed: add it to"
                  + " .gitignore"));
    }
    return List.of();
  }

  private static boolean insideWorkTree(Path dir) {
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.exists(d.resolve(".git"))) {
        return true;
      }
    }
    return false;
  }

  private static int run(Path dir, String... args) {
    List<String> command = new ArrayList<>(List.of("git", "-C", dir.toString()));
    command.addAll(List.of(args));
    try {
      Process git =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      if (!git.waitFor(30, TimeUnit.SECONDS)) {
        git.destroyForcibly();
        throw new IllegalStateException("git did not answer within 30 s in " + dir);
      }
      return git.exitValue();
    } catch (IOException e) {
      throw new IllegalStateException("git cannot be run to check " + dir, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking git about " + dir, e);
    }
  }

  private static Optional<Set<PosixFilePermission>> permissions(Path path) {
    try {
      return Optional.of(Files.getPosixFilePermissions(path));
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  private static boolean sticky(Path dir) {
    try {
      Object mode = Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      return mode instanceof Integer m && (m & 01000) != 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }
}
