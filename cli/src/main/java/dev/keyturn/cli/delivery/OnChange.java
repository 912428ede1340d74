package dev.keyturn.cli.delivery;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What {@code run --watch} does to its child when a mapped value changed: restart it, or send it a
 * signal (after rewriting its {@code _FILE} files).
 *
 * @param signal the signal's name as {@code kill -s} takes it ({@code HUP}); empty to restart
 */
public record OnChange(Optional<String> signal) {
  /** The signals a child may be sent on a change. */
  public static final List<String> SIGNALS =
      List.of("HUP", "INT", "QUIT", "TERM", "USR1", "USR2", "WINCH", "ALRM");

  public OnChange {
    requireNonNull(signal, "signal");
    signal.ifPresent(s -> {
      if (!SIGNALS.contains(s)) {
        throw new KeyturnException.InvalidInput("unknown signal " + s);
      }
    });
  }

  /** Restart the child (SIGTERM, SIGKILL after the stop timeout, then start it again). */
  public static OnChange restart() {
    return new OnChange(Optional.empty());
  }

  /**
   * Reads {@code restart} or {@code signal:NAME} ({@code NAME} with or without {@code SIG}, any
   * case).
   *
   * @throws KeyturnException.InvalidInput naming what is wrong (never echoing more than the text)
   */
  public static OnChange parse(String text) {
    requireNonNull(text, "text");
    if (text.equals("restart")) {
      return restart();
    }
    if (!text.startsWith("signal:")) {
      throw new KeyturnException.InvalidInput(
          "--on-change takes restart or signal:NAME, not '" + printable(text) + "'");
    }
    String name = text.substring("signal:".length()).toUpperCase(Locale.ROOT);
    if (name.startsWith("SIG")) {
      name = name.substring(3);
    }
    if (!SIGNALS.contains(name)) {
      throw new KeyturnException.InvalidInput(
          "--on-change: unknown signal '"
              + printable(text.substring("signal:".length()))
              + "' (one of "
              + String.join(", ", SIGNALS)
              + ")");
    }
    return new OnChange(Optional.of(name));
  }

  private static String printable(String text) {
    String cut = text.length() > 40 ? text.substring(0, 40) + "..." : text;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
