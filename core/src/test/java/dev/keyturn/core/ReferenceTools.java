package dev.keyturn.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the reference tools (openssl, Python {@code cryptography}) that formats are checked against.
 * A missing tool skips the test with its name, or fails it under {@code KEYTURN_IT=1}.
 */
final class ReferenceTools {
  private ReferenceTools() {}

  /** Exit code and output of a finished process. */
  record Result(int exit, String out, String err) {}

  static Result run(List<String> command, byte[] stdin) {
    try {
      Process p = new ProcessBuilder(command).start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin);
      }
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Thread errReader = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(command + " did not finish in 60 s");
      }
      errReader.join();
      return new Result(p.exitValue(), out, err.toString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError(command + " could not run: " + e.getMessage(), e);
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
      } catch (AssertionError e) {
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
    } catch (AssertionError e) {
      // fall through
    }
    missing("openssl");
  }

  private static void missing(String tool) {
    if ("1".equals(System.getenv("KEYTURN_IT"))) {
      Assertions.fail(tool + " is not installed; KEYTURN_IT=1 requires it");
    }
    Assumptions.abort(tool + " is not installed; skipping the reference check");
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    try {
      in.transferTo(out);
    } catch (IOException e) {
      // the process ended; what was read is kept
    }
  }
}
