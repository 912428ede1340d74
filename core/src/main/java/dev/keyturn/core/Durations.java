package dev.keyturn.core;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them: a whole number and a unit, {@code s}, {@code m}, {@code h} or
 * {@code d} (24 hours), optionally several in a row ({@code 1h30m}). {@code 0} alone means none.
 */
public final class Durations {
  private static final Pattern PART = Pattern.compile("([0-9]{1,9})([smhd])");
  private static final Pattern CALENDAR = Pattern.compile("([0-9]{1,4})(mo|y)");
  private static final Duration MAX = Duration.ofDays(36_500);

  private Durations() {}

  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new KeyturnException.InvalidInput("a duration is empty (use e.g. 10s, 15m, 24h, 7d)");
    }
    String t = text.strip();
    if (t.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = PART.matcher(t);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
              });
      end = m.end();
    }
    if (end != t.length() || end == 0) {
      throw new KeyturnException.InvalidInput(
          "invalid duration (use a number and s, m, h or d, e.g. 10s, 24h, 7d)");
    }
    if (total.compareTo(MAX) > 0) {
      throw new KeyturnException.InvalidInput("a duration may not be longer than 100 years");
    }
    return total;
  }

  /**
   * The instant {@code text} after {@code start}: a duration as {@link #parse} reads it, or a
   * calendar period, {@code Nmo} (months) or {@code Ny} (years), counted on the UTC calendar (one
   * month after 31 January is the last day of February, at the same time of day).
   *
   * @throws KeyturnException.InvalidInput if {@code text} is neither, or longer than 100 years
   */
  public static java.time.Instant after(java.time.Instant start, String text) {
    Matcher calendar = text == null ? null : CALENDAR.matcher(text.strip());
    if (calendar == null || !calendar.matches()) {
      return start.plus(parse(text));
    }
    int n = Integer.parseInt(calendar.group(1));
    java.time.Period period =
        calendar.group(2).equals("mo") ? java.time.Period.ofMonths(n) : java.time.Period.ofYears(n);
    if (period.toTotalMonths() > 1_200) {
      throw new KeyturnException.InvalidInput("a duration may not be longer than 100 years");
    }
    return start.atZone(java.time.ZoneOffset.UTC).plus(period).toInstant();
  }

  /**
   * A point in time given as a duration back from {@code now} ({@code 24h}) or as an RFC 3339 time
   * ({@code 2026-11-22T10:00:00Z}).
   */
  public static java.time.Instant since(String text, java.time.Instant now) {
    if (text != null && text.contains("T")) {
      try {
        return java.time.OffsetDateTime.parse(text.strip()).toInstant();
      } catch (java.time.format.DateTimeParseException e) {
        throw new KeyturnException.InvalidInput(
            "invalid time (use a duration such as 24h, or RFC 3339 such as 2026-11-22T10:00:00Z)");
      }
    }
    return now.minus(parse(text));
  }

  /** The shortest text that {@link #parse} reads back as {@code d}. */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0";
    }
    long s = d.toSeconds();
    StringBuilder out = new StringBuilder();
    long[] sizes = {86_400, 3_600, 60, 1};
    String[] units = {"d", "h", "m", "s"};
    for (int i = 0; i < sizes.length; i++) {
      if (s >= sizes[i]) {
        out.append(s / sizes[i]).append(units[i]);
        s %= sizes[i];
      }
    }
    return out.toString();
  }
}
