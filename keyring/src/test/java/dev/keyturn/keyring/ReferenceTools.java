package dev.keyturn.keyring;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the reference tools (openssl, Python {@code cryptography}) the keyrings are checked against.
 * A missing tool skips the test with its name, or fails it under {@code KEYTURN_IT=1}. Java 17: no
 * virtual threads here.
 */
final class ReferenceTools {
  private ReferenceTools() {}

  /** Exit code and output of a finished process. */
  record Result(int exit, byte[] out, String err) {
    String text() {
      return new String(out, StandardCharsets.UTF_8);
    }
  }

  static Result run(List<String> command, byte[] stdin) {
    try {
      Process p = new ProcessBuilder(command).start();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Thread errReader = new Thread(() -> copy(p, err));
      errReader.start();
      Thread writer =
          new Thread(() -> {
            try (OutputStream in = p.getOutputStream()) {
              in.write(stdin);
            } catch (IOException e) {
              // the process ended early; its exit code tells
            }
          });
      writer.start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(command.get(0) + " did not finish in 120 s");
      }
      errReader.join();
      writer.join();
      return new Result(p.exitValue(), out, err.toString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** A python3 that can import {@code cryptography}. */
  static String pythonWithCryptography() {
    for (String python : List.of("python3", "/usr/bin/python3")) {
      try {
        if (run(List.of(python, "-c", "import cryptography"), new byte[0]).exit() == 0) {
          return python;
        }
      } catch (UncheckedIOException e) {
        // not installed under this name; try the next
      }
    }
    missing("Python 3 with the cryptography package (apt-get install python3-cryptography)");
    throw new AssertionError("unreachable");
  }

  static void requireOpenssl() {
    try {
      if (run(List.of("openssl", "version"), new byte[0]).exit() == 0) {
        return;
      }
    } catch (UncheckedIOException e) {
      // fall through
    }
    missing("openssl");
  }

  static void missing(String tool) {
    if ("1".equals(System.getenv("KEYTURN_IT"))) {
      Assertions.fail(tool + " is not installed; KEYTURN_IT=1 requires it");
    }
    Assumptions.abort(tool + " is not installed; skipping the reference check");
  }

  private static void copy(Process p, ByteArrayOutputStream err) {
    try {
      p.getErrorStream().transferTo(err);
    } catch (IOException e) {
      // the process ended; what was read is kept
    }
  }
}
