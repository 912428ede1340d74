package dev.keyturn.client.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The complete program of {@code docs/java-sdk.md} compiles against the SDK as built, with {@code
 * --release 17}: the page cannot drift from the API. Skipped on a runtime without a compiler (the
 * Java 17 JRE rerun); the main build has one.
 */
class JavaSdkDocTest {
  @TempDir Path dir;

  @Test
  void theDocsCompleteProgram_compiles() throws Exception {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    Assumptions.assumeTrue(javac != null, "no Java compiler in this runtime (a JRE)");
    String page = Files.readString(Path.of("..", "docs", "java-sdk.md"), StandardCharsets.UTF_8);
    Matcher program =
        Pattern.compile("## A complete program.*?```java\\n(.*?)```", Pattern.DOTALL).matcher(page);
    assertThat(program.find()).as("docs/java-sdk.md has its complete program").isTrue();
    Path source = dir.resolve("Example.java");
    Files.writeString(source, program.group(1), StandardCharsets.UTF_8);
    ByteArrayOutputStream errors = new ByteArrayOutputStream();

    int status =
        javac.run(
            null,
            errors,
            errors,
            "--release",
            "17",
            "-Xlint:all",
            "-Werror",
            "-classpath",
            System.getProperty("java.class.path"),
            "-d",
            dir.toString(),
            source.toString());

    assertThat(status).as(errors.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(dir.resolve("Example.class")).exists();
  }
}
