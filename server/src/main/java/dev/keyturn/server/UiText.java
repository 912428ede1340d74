package dev.keyturn.server;

import dev.keyturn.api.RuleBody;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A rotation rule in words for the dashboard: "every 90 days, Sundays 02:00–04:00 Europe/Berlin,
 * keep the old value 24 h".
 */
final class UiText {
  private static final Map<String, String> DAYS =
      Map.of(
          "mon", "Mondays",
          "tue", "Tuesdays",
          "wed", "Wednesdays",
          "thu", "Thursdays",
          "fri", "Fridays",
          "sat", "Saturdays",
          "sun", "Sundays");

  private UiText() {}

  static String rule(RuleBody rule) {
    List<String> parts = new ArrayList<>();
    if (rule.every() != null && !rule.every().isEmpty()) {
      parts.add("every " + duration(rule.every()));
    } else if (rule.cron() != null && !rule.cron().isEmpty()) {
      parts.add("on the schedule '" + rule.cron() + "'");
    } else {
      parts.add("on request only");
    }
    String zone = rule.timezone() == null || rule.timezone().isEmpty() ? "UTC" : rule.timezone();
    if (rule.window() != null && !rule.window().isEmpty()) {
      parts.add(window(rule.window()) + " " + zone);
    } else if (!zone.equals("UTC")) {
      parts.add("in " + zone);
    }
    if (rule.grace() != null && !rule.grace().isEmpty() && !rule.grace().equals("0s")) {
      // The API gives 24h back as 1d; a grace of a day or three reads better in hours.
      String grace = rule.grace();
      if (grace.matches("[1-3]d")) {
        grace = (24 * (grace.charAt(0) - '0')) + "h";
      }
      parts.add("keep the old value " + duration(grace));
    } else {
      parts.add("retire the old value at once");
    }
    return String.join(", ", parts);
  }

  /** {@code 90d} as "90 days", {@code 24h} as "24 h", {@code 1mo} as "1 month". */
  static String duration(String text) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("([0-9]+)(mo|y|d|h|m|s)").matcher(text);
    if (!m.matches()) {
      return text;
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "y" -> n + (n == 1 ? " year" : " years");
      case "mo" -> n + (n == 1 ? " month" : " months");
      case "d" -> n + (n == 1 ? " day" : " days");
      case "h" -> n + " h";
      case "m" -> n + " min";
      default -> n + " s";
    };
  }

  /** {@code Sun 02:00-04:00} as "Sundays 02:00–04:00", {@code Mon-Fri 22:00-23:00} with a range. */
  static String window(String window) {
    String[] parts = window.strip().split("\\s+");
    String hours = parts[parts.length - 1].replace('-', '\u2013');
    if (parts.length == 1) {
      return "daily " + hours;
    }
    String[] days = parts[0].toLowerCase(java.util.Locale.ROOT).split("-");
    String first = DAYS.getOrDefault(days[0], parts[0]);
    String text = days.length == 2 ? first + " to " + DAYS.getOrDefault(days[1], days[1]) : first;
    return text + " " + hours;
  }
}
