package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Checks a SARIF file with the SARIF Multitool's {@code validate} (npm {@code
 * @microsoft/sarif-multitool}, which {@code .ci/run} installs into {@code target/sarif}): no error
 * may be reported. Skipped when the tool is missing, unless {@code KEYTURN_IT=1}.
 */
final class SarifValidator {
  static final Path TOOL = Path.of("../target/sarif/node_modules/.bin/sarif-multitool");

  private SarifValidator() {}

  static void assertValid(Path sarif) throws IOException, InterruptedException {
    if (!Files.isExecutable(TOOL)) {
      assertThat("1".equals(System.getenv("KEYTURN_IT")))
          .as("the SARIF Multitool, which .ci/run installs into target/sarif, is missing")
          .isFalse();
      Assumptions.abort("the SARIF Multitool is not installed (.ci/run installs it)");
    }
    Process p =
        new ProcessBuilder(TOOL.toString(), "validate", sarif.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).as(out).doesNotContain(": error ").contains("Analysis completed successfully");
  }
}
