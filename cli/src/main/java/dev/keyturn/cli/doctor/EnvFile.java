package dev.keyturn.cli.doctor;

import dev.keyturn.core.KeyturnException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an env file as python-dotenv and systemd's {@code EnvironmentFile=} read the common cases:
 * {@code NAME=value} lines, an optional {@code export }, blank lines and {@code #} or {@code ;}
 * comments, single quotes (literal), double quotes (with backslash escapes) and unquoted values
 * (trimmed, a {@code " #"} comment cut off). A line it cannot read is skipped, never echoed.
 */
final class EnvFile {
  private static final Pattern LINE =
      Pattern.compile("\\s*(?:export\\s+)?([A-Za-z_][A-Za-z0-9_.]*)\\s*=\\s?(.*)");

  private EnvFile() {}

  /**
   * @throws KeyturnException.InvalidInput when the file cannot be read or is not UTF-8
   */
  static List<Assignment> read(Path file) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
              .toString();
    } catch (CharacterCodingException e) {
      throw new KeyturnException.InvalidInput(file + " is not UTF-8 text");
    } catch (IOException e) {
      throw new KeyturnException.InvalidInput(file + ": cannot be read (" + reason(e) + ")");
    }
    List<Assignment> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line =
          lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      out.add(
          new Assignment(
              m.group(1),
              value(m.group(2)),
              file + ":" + (i + 1),
              Optional.of(file),
              Assignment.Origin.ENV_FILE));
    }
    return out;
  }

  /** The value of the text after {@code =}, unquoted. */
  static String value(String raw) {
    String v = raw.strip();
    if (v.length() >= 2 && v.startsWith("'") && v.indexOf('\'', 1) > 0) {
      return v.substring(1, v.indexOf('\'', 1));
    }
    if (v.length() >= 2 && v.startsWith("\"")) {
      StringBuilder out = new StringBuilder();
      for (int i = 1; i < v.length(); i++) {
        char c = v.charAt(i);
        if (c == '\\' && i + 1 < v.length()) {
          char next = v.charAt(++i);
          out.append(
              switch (next) {
                case 'n' -> '\n';
                case 't' -> '\t';
                case 'r' -> '\r';
                default -> next;
              });
        } else if (c == '"') {
          return out.toString();
        } else {
          out.append(c);
        }
      }
      return v; // no closing quote: taken as written
    }
    int comment = v.indexOf(" #");
    return (comment >= 0 ? v.substring(0, comment) : v).strip();
  }

  static String reason(IOException e) {
    return e instanceof java.nio.file.NoSuchFileException
        ? "no such file"
        : e instanceof java.nio.file.AccessDeniedException
            ? "permission denied"
            : e.getClass().getSimpleName();
  }
}
