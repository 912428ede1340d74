package dev.keyturn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.client.internal.LoopbackHost;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Help needs no server: every command answers it, and the exit-code table is the documented one.
 */
class CliHelpTest {
  @TempDir Path home;

  record Run(int code, String out, String err) {}

  private Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of("KEYTURN_ADDR", "http://127.0.0.1:1"),
            home,
            home,
            false);
    int code = KeyturnCli.run(io, args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Every command path below {@code keyturn}, e.g. [get], [token, create]. */
  private static List<List<String>> commandTree() {
    List<List<String>> paths = new ArrayList<>();
    walk(KeyturnCli.commandLine(Io.system()), new ArrayList<>(), paths);
    return paths;
  }

  private static void walk(CommandLine command, List<String> path, List<List<String>> paths) {
    for (var sub : command.getSubcommands().entrySet()) {
      List<String> subPath = new ArrayList<>(path);
      subPath.add(sub.getKey());
      paths.add(subPath);
      walk(sub.getValue(), subPath, paths);
    }
  }

  @Test
  void everyCommand_answersHelpBothWays_withExit0_within80Columns() {
    List<List<String>> tree = commandTree();
    assertThat(tree).contains(List.of("get"), List.of("token", "create"), List.of("help"));

    for (List<String> path : tree) {
      List<String> dashHelp = new ArrayList<>(path);
      dashHelp.add("--help");
      List<String> helpCommand = new ArrayList<>(List.of("help"));
      helpCommand.addAll(path);

      Run viaOption = run(dashHelp.toArray(String[]::new));
      Run viaHelp = run(helpCommand.toArray(String[]::new));

      String name = "keyturn " + String.join(" ", path);
      assertThat(viaOption.code()).as(name + " --help: " + viaOption.err()).isZero();
      assertThat(viaOption.out()).as(name + " --help").startsWith("Usage: " + name);
      assertThat(viaHelp.code()).as("keyturn help ...: " + viaHelp.err()).isZero();
      assertThat(viaHelp.out()).as("help " + name).isEqualTo(viaOption.out());
      assertThat(viaOption.out().lines())
          .as(name + " --help lines")
          .allSatisfy(line -> assertThat(line.length()).as(line).isLessThanOrEqualTo(80));
    }
  }

  @Test
  void commandLine_namingOneCommand_buildsOnlyIt_whileHelpAndUnknownWordsSeeAll() {
    Io io = Io.system();

    CommandLine one = KeyturnCli.commandLine(io, "--addr", "http://127.0.0.1:1", "describe", "a");
    CommandLine help = KeyturnCli.commandLine(io, "help", "describe");
    CommandLine unknown = KeyturnCli.commandLine(io, "descrbe", "a");
    CommandLine afterDashes = KeyturnCli.commandLine(io, "--", "describe");

    assertThat(one.getSubcommands()).containsOnlyKeys("describe");
    assertThat(help.getSubcommands()).hasSize(KeyturnCli.COMMANDS.size());
    assertThat(unknown.getSubcommands()).hasSize(KeyturnCli.COMMANDS.size());
    assertThat(afterDashes.getSubcommands()).hasSize(KeyturnCli.COMMANDS.size());
    assertThat(run("--addr", "http://127.0.0.1:1", "describe", "--help").out())
        .startsWith("Usage: keyturn describe");
    assertThat(run("descrbe", "a").err()).contains("Unmatched arguments").contains("'descrbe'");
  }

  @Test
  void commandList_showsWholeSentences_andPromisesNoDelivery() {
    Run top = run("help");

    assertThat(top.code()).isZero();
    assertThat(top.out())
        .startsWith("Usage: keyturn")
        .doesNotContain("deliver")
        .contains("machine: http://127.0.0.1:8270).");
    List<String> sentences = new ArrayList<>();
    CommandLine root = KeyturnCli.commandLine(Io.system());
    collectFirstLines(root, sentences);
    assertThat(sentences)
        .isNotEmpty()
        .allSatisfy(first -> assertThat(first.strip()).as(first).endsWith("."));
    assertThat(top.out().lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
  }

  private static void collectFirstLines(CommandLine command, List<String> into) {
    for (CommandLine sub : command.getSubcommands().values()) {
      String[] description = sub.getCommandSpec().usageMessage().description();
      into.add(description.length == 0 ? "(none)" : description[0]);
      collectFirstLines(sub, into);
    }
  }

  @Test
  void helpServer_andUnknownCommand() {
    Run server = run("help", "server");
    Run operator = run("help", "operator", "issue-root-token");
    Run unknown = run("help", "frobnicate");

    assertThat(server.code()).isZero();
    assertThat(server.out()).isEqualTo("see: keyturn server --help\n");
    assertThat(operator.code()).isZero();
    assertThat(operator.out()).isEqualTo("see: keyturn operator --help\n");
    assertThat(unknown.code()).isEqualTo(ExitCode.USAGE);
    assertThat(unknown.err()).startsWith("keyturn: no command 'frobnicate'");
  }

  @Test
  void helpExitCodes_printsTheTableOfDocsCliMd() throws Exception {
    Run r = run("help", "exit-codes");
    String docs = Files.readString(Path.of("..", "docs", "cli.md")).replace("`", "");

    assertThat(r.code()).isZero();
    assertThat(r.out()).isEqualTo(ExitCode.table());
    for (ExitCode.Row row : ExitCode.TABLE) {
      assertThat(r.out()).contains("  " + row.code() + "  ");
      assertThat(docs).contains("| " + row.code() + " | " + row.meaning() + " |");
    }
    assertThat(r.out().lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(80));
  }

  @Test
  void getStage_offersTheStagesTheServerServes() {
    Run retired = run("get", "a/B", "--stage", "retired");
    Run help = run("get", "--help");

    assertThat(retired.code()).isEqualTo(ExitCode.USAGE);
    assertThat(retired.err()).contains("pending, current, previous").doesNotContain("retired,");
    assertThat(help.out()).contains("pending, current, previous");
  }

  @Test
  void loopback_isOnlyLocalhostAndLoopbackLiterals() {
    assertThat(LoopbackHost.is("localhost")).isTrue();
    assertThat(LoopbackHost.is("127.0.0.1")).isTrue();
    assertThat(LoopbackHost.is("127.8.9.10")).isTrue();
    assertThat(LoopbackHost.is("[::1]")).isTrue();
    assertThat(LoopbackHost.is("10.0.0.1")).isFalse();
    assertThat(LoopbackHost.is("127.0.0.1.attacker.example")).isFalse();
    assertThat(LoopbackHost.is("localhost.attacker.example")).isFalse();
    assertThat(LoopbackHost.is("[fe80::1]")).isFalse();
    assertThat(LoopbackHost.is(null)).isFalse();
  }
}
