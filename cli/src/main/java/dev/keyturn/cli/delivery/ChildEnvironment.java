package dev.keyturn.cli.delivery;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The environment {@code run} gives its child: the inherited one without {@code KEYTURN_TOKEN*},
 * with the mapped values either as variables or, with a folder, as {@code _FILE} files written
 * atomically ({@link AtomicFile}) and named by {@code VAR_FILE}. {@link #close} removes every file
 * written, and the folder when it was made for this run. Not thread-safe.
 */
public final class ChildEnvironment implements AutoCloseable {
  private final Map<String, String> inherited = new HashMap<>();
  private final Optional<Path> dir;
  private final boolean createdDir;
  private final Consumer<String> errors;
  private final Set<Path> written = new LinkedHashSet<>();

  /**
   * @param inherited the environment {@code run} itself got
   * @param dir the folder for {@code _FILE} files, already prepared ({@link SecretFolder}); empty
   *     to pass the values as variables
   * @param createdDir whether {@link #close} removes the folder too
   * @param errors receives one line per file that could not be removed (no values)
   */
  public ChildEnvironment(
      Map<String, String> inherited,
      Optional<Path> dir,
      boolean createdDir,
      Consumer<String> errors) {
    requireNonNull(inherited, "inherited")
        .forEach((k, v) -> {
          if (!k.startsWith("KEYTURN_TOKEN")) {
            this.inherited.put(k, v);
          }
        });
    this.dir = requireNonNull(dir, "dir");
    this.createdDir = createdDir;
    this.errors = requireNonNull(errors, "errors");
  }

  /**
   * The child's environment for {@code variables}; with a folder, first (re)writes each value's
   * file whole and removes the files of variables no longer mapped.
   *
   * @throws dev.keyturn.core.KeyturnException.InvalidInput when a file cannot be written
   */
  public Map<String, String> apply(Variables variables) {
    Map<String, String> environment = new HashMap<>(inherited);
    if (dir.isEmpty()) {
      environment.putAll(variables.reveal());
      return environment;
    }
    Set<Path> now = new LinkedHashSet<>();
    for (Map.Entry<String, String> v : variables.reveal().entrySet()) {
      Path file = dir.get().resolve(v.getKey());
      environment.remove(v.getKey());
      AtomicFile.write(file, v.getValue().getBytes(StandardCharsets.UTF_8));
      written.add(file);
      now.add(file);
      environment.put(v.getKey() + "_FILE", file.toString());
    }
    for (Path old : Set.copyOf(written)) {
      if (!now.contains(old)) {
        delete(old);
        written.remove(old);
      }
    }
    return environment;
  }

  /** Removes every file written, and the folder when it was made for this run. */
  @Override
  public void close() {
    written.forEach(this::delete);
    written.clear();
    if (createdDir) {
      dir.ifPresent(this::delete);
    }
  }

  private void delete(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      errors.accept("cannot remove " + path + ": " + e.getMessage());
    }
  }
}
