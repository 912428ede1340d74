package dev.keyturn.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.Generator;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.TargetContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command target with real child processes. */
class CommandTargetTest {
  private static final SecretName NAME = SecretName.of("app/KEY");
  @TempDir Path dir;
  private final CommandTarget target = new CommandTarget();
  private final List<Long> processes = new ArrayList<>();

  private TargetContext context(
      Map<String, String> settings, String pending, Optional<String> current) {
    RotationRule rule =
        new RotationRule(
            NAME,
            Generator.parse("hex:8"),
            Optional.empty(),
            Duration.ZERO,
            Strategy.SINGLE_USER,
            Duration.ZERO,
            "command",
            settings,
            "",
            "",
            "",
            1,
            Duration.ZERO,
            java.util.List.of(),
            Optional.empty(),
            false);
    Rotation rotation =
        new Rotation(
            "rot_0000000000000001",
            NAME,
            RotationState.SET,
            0,
            Instant.EPOCH,
            Instant.EPOCH,
            Instant.EPOCH,
            Optional.of(2),
            false,
            "tok",
            Optional.empty(),
            Optional.empty(),
            List.of());
    return new TargetContext(
        rule,
        rotation,
        value(2, pending),
        current.map(c -> value(1, c)),
        n -> {
          throw new AssertionError("no other secret");
        },
        processes::add);
  }

  private static SecretValue value(int number, String text) {
    return new SecretValue(
        NAME,
        new Version(
            number, Stage.PENDING, ValueType.STRING, Instant.EPOCH, "t", Optional.empty(), "f"),
        Plaintext.ofUtf8(text));
  }

  @Test
  void set_passesTheValueOnStdinExactlyAndNeverOnTheCommandLine() throws Exception {
    Path out = dir.resolve("out");
    Path env = dir.resolve("env");
    String value = "s3cr3t with spaces\nand a second line";

    target.set(
        context(
            Map.of(
                "set-command",
                "cat > "
                    + out
                    + "; echo \"$KEYTURN_SECRET $KEYTURN_VERSION $KEYTURN_PHASE\" > "
                    + env),
            value,
            Optional.empty()));

    assertThat(Files.readString(out)).isEqualTo(value);
    assertThat(Files.readString(env)).isEqualTo("app/KEY 2 set\n");
    assertThat(processes).hasSize(1);
  }

  @Test
  void nonZeroExit_isAFailureNamingTheCodeOnly() {
    assertThatThrownBy(() ->
            target.set(
                context(
                    Map.of("set-command", "echo leaked-canary; exit 7"), "v", Optional.empty())))
        .isInstanceOf(KeyturnException.TargetFailure.class)
        .hasMessage("set command exited with 7");
  }

  @Test
  void test_withoutATestCommand_passesButCannotTell() {
    TargetContext ctx = context(Map.of("set-command", "true"), "v", Optional.empty());

    target.test(ctx);

    assertThat(target.canTell(ctx)).isFalse();
    assertThat(
            target.canTell(
                context(
                    Map.of("set-command", "true", "test-command", "true"), "v", Optional.empty())))
        .isTrue();
  }

  @Test
  void rollback_runsSetWithTheCurrentValue() throws Exception {
    Path out = dir.resolve("out");

    target.rollback(context(Map.of("set-command", "cat > " + out), "new", Optional.of("old")));

    assertThat(Files.readString(out)).isEqualTo("old");
  }

  @Test
  void timeout_killsTheWholeProcessGroup() throws Exception {
    Path marker = dir.resolve("marker");
    TargetContext ctx =
        context(
            Map.of("set-command", "(sleep 2; touch " + marker + ") & sleep 30", "timeout", "1s"),
            "v",
            Optional.empty());

    assertThatThrownBy(() -> target.set(ctx))
        .isInstanceOf(KeyturnException.TargetFailure.class)
        .hasMessageContaining("did not finish within 1s");
    Thread.sleep(2500);
    assertThat(marker).as("the background child died with its group").doesNotExist();
  }

  @Test
  void missingSetCommand_isAClearError() {
    assertThatThrownBy(() -> target.set(context(Map.of(), "v", Optional.empty())))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessage("target command needs 'set-command'");
  }
}
