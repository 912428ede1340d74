package dev.keyturn.cli.delivery;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Keeps rendered secrets out of version control (runbook D: {@code .env} is for development only
 * and never committed): a file inside a git work tree that git does not ignore is refused unless
 * the caller says {@code --force}. Asks {@code git check-ignore}, so {@code .gitignore}, {@code
 * .git/info/exclude} and the global excludes all count; a tracked file counts as not ignored.
 */
public final class GitCheck {
  private GitCheck() {}

  /**
   * @throws KeyturnException.InvalidInput when {@code file} would be committable, or git cannot
   *     answer for a file inside a work tree
   */
  public static void refuseCommittable(Path file) {
    Path absolute = file.toAbsolutePath().normalize();
    Path dir = absolute.getParent();
    if (!insideWorkTree(dir)) {
      return;
    }
    int code;
    try {
      Process git =
          new ProcessBuilder(
                  List.of(
                      "git", "-C", dir.toString(), "check-ignore", "-q", "--", absolute.toString()))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      if (!git.waitFor(30, TimeUnit.SECONDS)) {
        git.destroyForcibly();
        throw new KeyturnException.InvalidInput(
            "git did not say within 30 s whether "
                + file
                + " is ignored; give --force to write it");
      }
      code = git.exitValue();
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          file
              + " is inside a git work tree and git cannot be run to check that it is ignored;"
              + " give --force to write it anyway");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyturnException.InvalidInput("interrupted while asking git about " + file);
    }
    if (code == 0) {
      return;
    }
    if (code == 1) {
      throw new KeyturnException.InvalidInput(
          file
              + " is inside a git work tree and not ignored, so it could be committed with its"
              + " secrets: add it to .gitignore, or give --force");
    }
    throw new KeyturnException.InvalidInput(
        "git check-ignore failed (exit " + code + ") for " + file + "; give --force to write it");
  }

  /** Whether {@code dir} or a folder above it holds {@code .git}. */
  private static boolean insideWorkTree(Path dir) {
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.exists(d.resolve(".git"))) {
        return true;
      }
    }
    return false;
  }
}
