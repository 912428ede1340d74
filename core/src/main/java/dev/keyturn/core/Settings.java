package dev.keyturn.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Settings from the environment: {@code X}, else the contents of the file named by {@code X_FILE}
 * (one trailing newline removed), else absent. Flags, handled by the caller, come first.
 */
public final class Settings {
  private final Map<String, String> env;

  public Settings(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  public static Settings fromEnvironment() {
    return new Settings(System.getenv());
  }

  /**
   * The file that {@link #get} would read {@code name} from: {@code X_FILE} when {@code X} itself
   * is not set, so that a caller can check the file before trusting what it holds.
   */
  public Optional<Path> file(String name) {
    String direct = env.get(name);
    String file = env.get(name + "_FILE");
    if (direct != null && !direct.isEmpty() || file == null || file.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Path.of(file));
  }

  public Optional<String> get(String name) {
    String direct = env.get(name);
    if (direct != null && !direct.isEmpty()) {
      return Optional.of(direct);
    }
    String file = env.get(name + "_FILE");
    if (file == null || file.isEmpty()) {
      return Optional.empty();
    }
    try {
      String text = Files.readString(Path.of(file));
      if (text.endsWith("\r\n")) {
        text = text.substring(0, text.length() - 2);
      } else if (text.endsWith("\n")) {
        text = text.substring(0, text.length() - 1);
      }
      return Optional.of(text);
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          name + "_FILE names " + file + ", which cannot be read: " + e.getMessage());
    }
  }
}
