package dev.keyturn.targets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.CommandSpec;
import dev.keyturn.core.Generator;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
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

/** The command target with real child processes, running commands the operator declared. */
class CommandTargetTest {
  private static final SecretName NAME = SecretName.of("app/KEY");
  @TempDir Path dir;
  private final List<Long> processes = new ArrayList<>();
  private final List<CommandSpec> declared = new ArrayList<>();

  /** Declares {@code name} as {@code sh -c line} and returns the name. */
  private String declare(String name, String line, Duration timeout, Optional<String> user) {
    declared.add(
        new CommandSpec(
            name,
            List.of("sh", "-c", line),
            Optional.of(dir),
            user,
            timeout,
            Map.of("APP_ENV", "test")));
    return name;
  }

  private String declare(String name, String line) {
    return declare(name, line, Duration.ofMinutes(1), Optional.empty());
  }

  private CommandTarget target() {
    return new CommandTarget(new HostPolicy(declared, List.of(), Outbound.publicOnly()));
  }

  private static RotationRule rule(Map<String, String> settings) {
    return RotationRule.builder(NAME)
        .generator(Generator.parse("hex:8"))
        .strategy(Strategy.OVERLAP)
        .targetType("command")
        .target(settings)
        .attempts(1)
        .backoff(Duration.ZERO)
        .build();
  }

  private TargetContext context(
      Map<String, String> settings, String pending, Optional<String> current) {
    Rotation rotation =
        Rotation.builder()
            .id("rot_0000000000000001")
            .secret(NAME)
            .state(RotationState.SET)
            .startedAt(Instant.EPOCH)
            .pendingVersion(Optional.of(2))
            .requestedBy("tok")
            .build();
    return new TargetContext(
        rule(settings),
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
    String set =
        declare(
            "write-it",
            "cat > "
                + out
                + "; echo \"$KEYTURN_SECRET $KEYTURN_VERSION $KEYTURN_PHASE $APP_ENV $(pwd)\" > "
                + env);

    target().set(context(Map.of("set-command", set), value, Optional.empty()));

    assertThat(Files.readString(out)).isEqualTo(value);
    assertThat(Files.readString(env)).isEqualTo("app/KEY 2 set test " + dir + "\n");
    assertThat(processes).hasSize(1);
  }

  @Test
  void set_givesTheCommandNoneOfTheServersEnvironment() throws Exception {
    Path env = dir.resolve("env");
    String set = declare("env", "env > " + env);

    target().set(context(Map.of("set-command", set), "v", Optional.empty()));

    // sh adds PWD (and some shells SHLVL and _) itself.
    assertThat(Files.readAllLines(env))
        .extracting(l -> l.substring(0, l.indexOf('=')))
        .contains("PATH", "APP_ENV", "KEYTURN_SECRET", "KEYTURN_VERSION", "KEYTURN_PHASE")
        .isSubsetOf(
            "PATH",
            "LANG",
            "APP_ENV",
            "KEYTURN_SECRET",
            "KEYTURN_VERSION",
            "KEYTURN_PHASE",
            "PWD",
            "SHLVL",
            "_");
  }

  @Test
  void set_asADeclaredUser_runsUnderThatAccount() throws Exception {
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    Path out = Files.createDirectories(dir.resolve("shared"));
    Files.setPosixFilePermissions(
        out, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    Path id = out.resolve("id");
    String set =
        declare("as-nobody", "id -u > " + id, Duration.ofMinutes(1), Optional.of("nobody"));

    target().set(context(Map.of("set-command", set), "v", Optional.empty()));

    assertThat(Files.readString(id).strip()).isNotEqualTo("0");
  }

  @Test
  void validate_anInlineCommandLine_isRefusedAndNothingRuns() {
    Path marker = dir.resolve("marker");

    assertThatThrownBy(
            () -> target().validate(rule(Map.of("set-command", "touch " + marker)), n -> null))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessageContaining("not declared in the server's configuration file");
    assertThatThrownBy(() ->
            target().set(context(Map.of("set-command", "touch " + marker), "v", Optional.empty())))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThat(marker).doesNotExist();
  }

  @Test
  void validate_anUndeclaredNameOrAnUnknownSetting_isRefused() {
    declare("reload", "true");

    assertThatThrownBy(() -> target().validate(rule(Map.of("set-command", "reload2")), n -> null))
        .hasMessageContaining("command 'reload2' is not declared");
    assertThatThrownBy(() ->
            target()
                .validate(rule(Map.of("set-command", "reload", "test-command", "nope")), n -> null))
        .hasMessageContaining("command 'nope' is not declared");
    assertThatThrownBy(() ->
            target().validate(rule(Map.of("set-command", "reload", "timeout", "1s")), n -> null))
        .hasMessageContaining("no setting 'timeout'");
    target().validate(rule(Map.of("set-command", "reload")), n -> null);
  }

  @Test
  void nonZeroExit_isAFailureNamingTheCodeOnly() {
    String set = declare("fail", "echo leaked-canary; exit 7");

    assertThatThrownBy(
            () -> target().set(context(Map.of("set-command", set), "v", Optional.empty())))
        .isInstanceOf(KeyturnException.TargetFailure.class)
        .hasMessage("set command exited with 7");
  }

  @Test
  void test_withoutATestCommand_passesButCannotTell() {
    String ok = declare("ok", "true");
    CommandTarget target = target();
    TargetContext ctx = context(Map.of("set-command", ok), "v", Optional.empty());

    target.test(ctx);

    assertThat(target.canTell(ctx)).isFalse();
    assertThat(
            target.canTell(
                context(Map.of("set-command", ok, "test-command", ok), "v", Optional.empty())))
        .isTrue();
  }

  @Test
  void rollback_runsSetWithTheCurrentValue() throws Exception {
    Path out = dir.resolve("out");
    String set = declare("write", "cat > " + out);

    target().rollback(context(Map.of("set-command", set), "new", Optional.of("old")));

    assertThat(Files.readString(out)).isEqualTo("old");
  }

  @Test
  void timeout_killsTheWholeProcessGroup() throws Exception {
    Path marker = dir.resolve("marker");
    String set =
        declare(
            "slow",
            "(sleep 2; touch " + marker + ") & sleep 30",
            Duration.ofSeconds(1),
            Optional.empty());

    assertThatThrownBy(
            () -> target().set(context(Map.of("set-command", set), "v", Optional.empty())))
        .isInstanceOf(KeyturnException.TargetFailure.class)
        .hasMessageContaining("did not finish within 1s");
    Thread.sleep(2500);
    assertThat(marker).as("the background child died with its group").doesNotExist();
  }

  @Test
  void missingSetCommand_isAClearError() {
    assertThatThrownBy(() -> target().set(context(Map.of(), "v", Optional.empty())))
        .isInstanceOf(KeyturnException.InvalidInput.class)
        .hasMessage("target command needs 'set-command'");
  }
}
