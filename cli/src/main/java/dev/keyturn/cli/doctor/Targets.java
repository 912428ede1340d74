package dev.keyturn.cli.doctor;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Turns doctor's targets into environments for an {@link Inspection}: an env file is one, each
 * {@code .env*} file of a folder is one (templates that are meant to hold placeholders, {@code
 * .env.example}, {@code .env.sample}, {@code .env.template} and {@code .env.dist}, are left out), a
 * systemd unit is one (its {@code EnvironmentFile=} files in order, then its {@code Environment=}
 * entries, as systemd applies them), and doctor's own environment is one.
 */
public final class Targets {
  private static final Set<String> TEMPLATES =
      Set.of(".env.example", ".env.sample", ".env.template", ".env.dist");

  private Targets() {}

  /**
   * @throws KeyturnException.InvalidInput when a target does not exist or cannot be read: doctor
   *     could not run
   */
  public static void read(Path workingDir, List<Path> targets, Inspection inspection) {
    for (Path given : targets) {
      Path target = workingDir.resolve(given).toAbsolutePath().normalize();
      if (Files.isDirectory(target)) {
        for (Path file : envFiles(target)) {
          envFile(file, inspection);
        }
      } else if (!Files.exists(target)) {
        throw new KeyturnException.InvalidInput(given + ": no such file or folder");
      } else if (UnitFile.isUnit(target)) {
        unit(target, inspection);
      } else {
        envFile(target, inspection);
      }
    }
  }

  /** Doctor's own environment, as {@code env:VAR} places. */
  public static void environment(Map<String, String> env, Inspection inspection) {
    List<Assignment> assignments = new ArrayList<>();
    env.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e ->
            assignments.add(
                new Assignment(
                    e.getKey(),
                    e.getValue(),
                    "env:" + e.getKey(),
                    Optional.empty(),
                    Assignment.Origin.PROCESS)));
    inspection.environment("the environment", assignments);
  }

  private static void envFile(Path file, Inspection inspection) {
    inspection.secretFile(file, "");
    inspection.environment(file.toString(), EnvFile.read(file));
  }

  private static void unit(Path unit, Inspection inspection) {
    UnitFile parsed = UnitFile.read(unit);
    List<Assignment> assignments = new ArrayList<>();
    for (UnitFile.EnvironmentFile f : parsed.files()) {
      if (!Files.exists(f.path())) {
        if (!f.optional()) {
          inspection.add(
              Finding.error(
                  "unit.env-file-missing",
                  "",
                  f.location(),
                  "EnvironmentFile="
                      + f.path()
                      + " does not exist, so the unit will not start (a leading - makes it"
                      + " optional)"));
        }
        continue;
      }
      inspection.secretFile(f.path(), "");
      assignments.addAll(EnvFile.read(f.path()));
    }
    assignments.addAll(parsed.inline());
    inspection.environment(unit.toString(), assignments);
  }

  private static List<Path> envFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(Files::isRegularFile)
          .filter(p -> p.getFileName().toString().startsWith(".env"))
          .filter(p -> !TEMPLATES.contains(p.getFileName().toString()))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          dir + ": cannot be listed (" + EnvFile.reason(e) + ")");
    }
  }
}
