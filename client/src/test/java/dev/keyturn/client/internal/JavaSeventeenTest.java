package dev.keyturn.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The SDK side targets Java 17 (DESIGN.md): this runs it on a real Java 17 runtime, with the
 * classpath this test runs with. The runtime is {@code KEYTURN_JDK17}, else one under {@code
 * /usr/lib/jvm}; without one the test is skipped, or fails under {@code KEYTURN_IT=1}.
 */
class JavaSeventeenTest {

  @Test
  void sdk_onAJava17Runtime_readsAValueAndAKeyring() throws Exception {
    Path java = java17().orElse(null);
    if (java == null) {
      String why = "no Java 17 runtime (set KEYTURN_JDK17, or install openjdk-17-jre-headless)";
      if ("1".equals(System.getenv("KEYTURN_IT"))) {
        fail(why);
      }
      Assumptions.abort(why);
    }

    Process process =
        new ProcessBuilder(
                java.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                OnJava17.class.getName())
            .redirectErrorStream(true)
            .start();
    boolean ended = process.waitFor(60, TimeUnit.SECONDS);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(ended).as("the Java 17 run ended").isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output)
        .isEqualTo("java 17: app/x#2 current, keyring of 2\njwt: RS256 ES256 ES384 EdDSA\n");
  }

  private static Optional<Path> java17() throws Exception {
    String configured = System.getenv("KEYTURN_JDK17");
    if (configured != null && !configured.isEmpty()) {
      return Optional.of(Path.of(configured, "bin", "java"));
    }
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (Stream<Path> homes = Files.list(jvms)) {
      List<Path> found =
          homes
              .filter(home -> home.getFileName().toString().matches(".*-17(-|\\.|$).*|.*17-jdk.*"))
              .map(home -> home.resolve("bin").resolve("java"))
              .filter(Files::isExecutable)
              .sorted()
              .toList();
      return found.stream().findFirst();
    }
  }
}
