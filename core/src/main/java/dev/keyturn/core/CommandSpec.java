package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A command the operator declared in the server's configuration file, named by rules (a command
 * target's {@code set-command} and {@code test-command}, a command hook's {@code command}). The API
 * can name one, never declare or change one (docs/security.md, "Who decides what").
 *
 * @param name how rules name it: lower-case letters, digits, {@code -} and {@code .}
 * @param argv the program and its arguments, run as they are (no shell unless argv says so: a
 *     {@code sh -c} line is declared as {@code ["sh", "-c", LINE]})
 * @param directory the working directory, absolute
 * @param user the account to run as (the server must run as root to switch)
 * @param timeout after which the whole process group is killed and the step fails
 * @param environment added to the server's environment (besides {@code KEYTURN_SECRET}, {@code
 *     KEYTURN_VERSION} and {@code KEYTURN_PHASE})
 */
public record CommandSpec(
    String name,
    List<String> argv,
    Optional<Path> directory,
    Optional<String> user,
    Duration timeout,
    Map<String, String> environment) {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9.-]{0,62}");
  private static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
  private static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  public CommandSpec {
    requireNonNull(name, "name");
    argv = List.copyOf(argv);
    requireNonNull(directory, "directory");
    requireNonNull(user, "user");
    requireNonNull(timeout, "timeout");
    environment = Map.copyOf(environment);
    if (!isName(name)) {
      throw new KeyturnException.InvalidInput(
          "command name '"
              + name
              + "' must be lower-case letters, digits, '-' and '.', starting with a letter or"
              + " digit");
    }
    String what = "command " + name + ": ";
    if (argv.isEmpty() || argv.get(0).isBlank()) {
      throw new KeyturnException.InvalidInput(what + "needs a program to run");
    }
    for (String arg : argv) {
      if (arg.indexOf('\0') >= 0) {
        throw new KeyturnException.InvalidInput(what + "an argument holds a NUL byte");
      }
    }
    if (directory.isPresent() && !directory.get().isAbsolute()) {
      throw new KeyturnException.InvalidInput(what + "directory must be an absolute path");
    }
    if (user.isPresent() && !USER.matcher(user.get()).matches()) {
      throw new KeyturnException.InvalidInput(what + "user is not an account name");
    }
    if (!timeout.isPositive() || timeout.compareTo(Duration.ofHours(1)) > 0) {
      throw new KeyturnException.InvalidInput(what + "timeout must be between 1s and 1h");
    }
    for (Map.Entry<String, String> e : environment.entrySet()) {
      if (!ENV.matcher(e.getKey()).matches() || e.getKey().startsWith("KEYTURN_")) {
        throw new KeyturnException.InvalidInput(
            what + "environment names are letters, digits and '_', not starting with KEYTURN_");
      }
      if (e.getValue().indexOf('\0') >= 0) {
        throw new KeyturnException.InvalidInput(what + "an environment value holds a NUL byte");
      }
    }
  }

  /** Whether {@code text} has the form of a command name (inline command lines never do). */
  public static boolean isName(String text) {
    return NAME.matcher(text).matches();
  }
}
