package dev.keyturn.cli.doctor;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The environment of a systemd unit: its {@code [Service]} section's {@code Environment=} entries
 * (space-separated {@code NAME=value} words, double or single quotes around a word) and {@code
 * EnvironmentFile=} paths, a leading {@code -} marking a file that may be missing. Relative paths
 * are taken from the unit's folder (systemd requires absolute ones).
 */
final class UnitFile {
  /** One {@code EnvironmentFile=}: the file, whether it may be missing, and where it was named. */
  record EnvironmentFile(Path path, boolean optional, String location) {}

  private final List<Assignment> inline;
  private final List<EnvironmentFile> files;

  private UnitFile(List<Assignment> inline, List<EnvironmentFile> files) {
    this.inline = List.copyOf(inline);
    this.files = List.copyOf(files);
  }

  /** Whether {@code file} looks like a unit: its name ends in {@code .service}. */
  static boolean isUnit(Path file) {
    return file.getFileName() != null && file.getFileName().toString().endsWith(".service");
  }

  /**
   * @throws KeyturnException.InvalidInput when the unit cannot be read
   */
  static UnitFile read(Path unit) {
    List<String> lines;
    try {
      lines = Files.readAllLines(unit, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(
          unit + ": cannot be read (" + EnvFile.reason(e) + ")");
    }
    List<Assignment> inline = new ArrayList<>();
    List<EnvironmentFile> files = new ArrayList<>();
    boolean service = false;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int number = i + 1;
      while (line.endsWith("\\") && i + 1 < lines.size()) {
        line = line.substring(0, line.length() - 1) + " " + lines.get(++i).strip();
      }
      if (line.startsWith("[")) {
        service = line.equals("[Service]");
        continue;
      }
      if (!service || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      String location = unit + ":" + number;
      if (line.startsWith("Environment=")) {
        for (String word : words(line.substring("Environment=".length()))) {
          int eq = word.indexOf('=');
          if (eq > 0) {
            inline.add(
                new Assignment(
                    word.substring(0, eq),
                    word.substring(eq + 1),
                    location,
                    Optional.of(unit),
                    Assignment.Origin.UNIT_INLINE));
          }
        }
      } else if (line.startsWith("EnvironmentFile=")) {
        String path = line.substring("EnvironmentFile=".length()).strip();
        boolean optional = path.startsWith("-");
        if (optional) {
          path = path.substring(1);
        }
        if (!path.isEmpty()) {
          Path p = Path.of(path);
          files.add(
              new EnvironmentFile(
                  p.isAbsolute() ? p : unit.toAbsolutePath().getParent().resolve(p),
                  optional,
                  location));
        }
      }
    }
    return new UnitFile(inline, files);
  }

  List<Assignment> inline() {
    return inline;
  }

  List<EnvironmentFile> files() {
    return files;
  }

  /** Splits an {@code Environment=} value into words, honouring quotes. */
  static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    char quote = 0;
    boolean any = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < text.length()) {
          word.append(text.charAt(++i));
        } else {
          word.append(c);
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        any = true;
      } else if (Character.isWhitespace(c)) {
        if (any || word.length() > 0) {
          out.add(word.toString());
        }
        word.setLength(0);
        any = false;
      } else {
        word.append(c);
        any = true;
      }
    }
    if (any || word.length() > 0) {
      out.add(word.toString());
    }
    return out;
  }
}
