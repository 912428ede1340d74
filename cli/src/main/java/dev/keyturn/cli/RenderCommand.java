package dev.keyturn.cli;

import dev.keyturn.cli.delivery.AtomicFile;
import dev.keyturn.cli.delivery.Format;
import dev.keyturn.cli.delivery.GitCheck;
import dev.keyturn.cli.delivery.Mapping;
import dev.keyturn.cli.delivery.SecretFolder;
import dev.keyturn.cli.delivery.Variables;
import dev.keyturn.client.internal.WireClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code keyturn render}: a mapping as a file for another program (docs/delivery.md). */
@Command(
    name = "render",
    mixinStandardHelpOptions = true,
    description = {
      "Writes mapped secrets as a .env, JSON, YAML, systemd or Kubernetes file.",
      "To standard output, or to --out FILE (written whole: a temporary file in the same folder,"
          + " flushed, renamed; mode 600), or one file per variable in --files DIR. Every value"
          + " is read and checked first: a value the format cannot carry exactly is an error"
          + " naming its variable, and nothing is written."
    })
final class RenderCommand extends ClientCommand implements Callable<Integer> {
  @Mixin MappingOptions mapping = new MappingOptions();

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      description =
          "dotenv (python-dotenv), docker-env (docker --env-file), json, yaml (PyYAML), systemd"
              + " (EnvironmentFile=), k8s-secret (a v1 Opaque Secret).")
  String format;

  @Option(
      names = "--name",
      paramLabel = "N",
      description = "The Secret's name for k8s-secret (DNS-1123).")
  String name;

  @Option(names = "--out", paramLabel = "FILE", description = "Write to FILE instead of stdout.")
  Path out;

  @Option(
      names = "--files",
      paramLabel = "DIR",
      description =
          "Write each value to DIR/VAR, exact bytes (DIR mode 700, files 600); no --format.")
  Path files;

  @Option(
      names = "--force",
      description =
          "Write inside a git work tree even where git does not ignore the file (it could be"
              + " committed with its secrets).")
  boolean force;

  @Override
  public Integer call() {
    if (files != null && (format != null || out != null || name != null)) {
      return usage("--files writes raw values: not with --format, --out or --name");
    }
    if (files == null && format == null) {
      return usage("give --format FORMAT (or --files DIR)");
    }
    Optional<Format> f = Optional.ofNullable(format).map(Format::of);
    Variables variables;
    // Closed at once: its idle selector thread would hold the JVM's exit ~300 ms.
    try (WireClient client = client()) {
      variables =
          new Mapping(new ClientSource(client), w -> io().err().println("keyturn: " + w))
              .resolve(mapping.spec(io().workingDir()));
    }
    if (files != null) {
      writeFiles(io().workingDir().resolve(files), variables);
      return 0;
    }
    byte[] text =
        f.get().render(variables, Optional.ofNullable(name)).getBytes(StandardCharsets.UTF_8);
    if (out == null) {
      io().out().writeBytes(text);
      io().out().flush();
      return 0;
    }
    Path target = io().workingDir().resolve(out);
    if (!force) {
      GitCheck.refuseCommittable(target);
    }
    AtomicFile.write(target, text);
    return 0;
  }

  private void writeFiles(Path dir, Variables variables) {
    SecretFolder.prepare(dir);
    if (!force) {
      for (String var : variables.reveal().keySet()) {
        GitCheck.refuseCommittable(dir.resolve(var));
      }
    }
    for (Map.Entry<String, String> v : variables.reveal().entrySet()) {
      AtomicFile.write(dir.resolve(v.getKey()), v.getValue().getBytes(StandardCharsets.UTF_8));
    }
  }

  private int usage(String message) {
    io().err().println("keyturn: " + message + " (see 'keyturn render --help')");
    return ExitCode.USAGE;
  }
}
