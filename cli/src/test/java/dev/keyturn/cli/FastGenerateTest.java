package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FastGenerateTest {
  @Test
  void handles_onlyPlainGenerate() {
    assertThat(FastGenerate.handles(new String[] {"generate", "hex:32"})).isTrue();
    assertThat(FastGenerate.handles(new String[] {"generate", "--raw", "hex:32"})).isTrue();
    assertThat(FastGenerate.handles(new String[] {"generate", "hex:32", "--raw"})).isTrue();
    assertThat(FastGenerate.handles(new String[] {"generate", "--help"})).isFalse();
    assertThat(FastGenerate.handles(new String[] {"generate"})).isFalse();
    assertThat(FastGenerate.handles(new String[] {"generate", "a", "b"})).isFalse();
    assertThat(FastGenerate.handles(new String[] {"get", "a/b"})).isFalse();
  }

  @Test
  void run_printsLikeTheFullCli() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int ok = FastGenerate.run(new String[] {"generate", "hex:16"}, stream(out), stream(err));
    int rawOk =
        FastGenerate.run(new String[] {"generate", "--raw", "uuid"}, stream(raw), stream(err));
    int bad = FastGenerate.run(new String[] {"generate", "nope"}, stream(out), stream(err));

    assertThat(ok).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).matches("[0-9a-f]{32}\n");
    assertThat(rawOk).isZero();
    assertThat(raw.toString(StandardCharsets.UTF_8)).matches("[0-9a-f-]{36}");
    assertThat(bad).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .startsWith("keyturn: invalid generator spec")
        .endsWith("\n");
  }

  private static PrintStream stream(ByteArrayOutputStream bytes) {
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }
}
