package dev.keyturn.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * GnuPG (gpg 2.2), the reference tool backups are checked against, run as a child process with a
 * home folder of its own ({@code GNUPGHOME}) so that no user keyring is touched. Skips the test
 * when gpg is missing (fails it under {@code KEYTURN_IT=1}). Keys are made without a passphrase.
 */
public final class Gpg implements AutoCloseable {
  /** What one gpg run produced. */
  public record Result(int code, byte[] out, String err) {
    public String outText() {
      return new String(out, StandardCharsets.UTF_8);
    }
  }

  private final Path home;

  private Gpg(Path home) {
    this.home = home;
  }

  /** A gpg with an empty home folder below {@code dir} (keep the path short: agent sockets). */
  public static Gpg in(Path dir) {
    try {
      Process p = new ProcessBuilder("gpg", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      if (p.waitFor() != 0) {
        throw new IOException("gpg --version exited " + p.exitValue());
      }
    } catch (IOException | InterruptedException e) {
      TestServices.unavailable("gpg (package gnupg)", e);
    }
    try {
      Path home = Files.createDirectories(dir.resolve("gnupg"));
      Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
      return new Gpg(home);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code gpg --batch ARGS} with {@code stdin}. */
  public Result run(byte[] stdin, String... args) {
    List<String> command = new ArrayList<>(List.of("gpg", "--batch", "--no-tty", "--quiet"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("GNUPGHOME", home.toString());
    try {
      Process p = builder.start();
      CompletableFuture<byte[]> out = drain(p.getInputStream());
      CompletableFuture<byte[]> err = drain(p.getErrorStream());
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin);
      } catch (IOException e) {
        // gpg may stop reading early (an error): its exit code says so.
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("gpg " + args[0] + " did not end within 120 s");
      }
      return new Result(p.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /**
   * Makes a key pair for {@code uid}: {@code rsa3072} or {@code ed25519} (with a cv25519 subkey).
   */
  public void generateKey(String uid, String kind) {
    String primary = kind.equals("rsa3072") ? "rsa3072" : "ed25519";
    String sub = kind.equals("rsa3072") ? "rsa3072" : "cv25519";
    check(
        run(
            new byte[0],
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            uid,
            primary,
            "sign,cert",
            "never"));
    String fingerprint =
        run(new byte[0], "--with-colons", "--list-keys", uid)
            .outText()
            .lines()
            .filter(l -> l.startsWith("fpr:"))
            .findFirst()
            .orElseThrow()
            .split(":")[9];
    check(
        run(
            new byte[0],
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-add-key",
            fingerprint,
            sub,
            "encr",
            "never"));
  }

  /** Writes {@code uid}'s public key, ASCII-armored, to {@code file}. */
  public Path exportPublic(String uid, Path file) {
    Result r = check(run(new byte[0], "--armor", "--export", uid));
    try {
      return Files.write(file, r.out());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Result check(Result r) {
    if (r.code() != 0) {
      throw new AssertionError("gpg failed (" + r.code() + "): " + r.err());
    }
    return r;
  }

  private static CompletableFuture<byte[]> drain(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try (in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** Stops the agent this home started. */
  @Override
  public void close() {
    ProcessBuilder builder = new ProcessBuilder("gpgconf", "--kill", "all");
    builder.environment().put("GNUPGHOME", home.toString());
    try {
      Process p = builder.redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      // Nothing to stop.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
