package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.Locale;

/**
 * A standard five-field cron expression ({@code minute hour day-of-month month day-of-week}) with
 * {@code *}, lists, ranges, steps and month and day names. As in classic cron, when both
 * day-of-month and day-of-week are restricted, a day matching either runs. Immutable.
 */
public record Cron(String expression) {
  private static final String[] MONTHS = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"
  };
  private static final String[] DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

  public Cron {
    requireNonNull(expression, "expression");
    fields(expression);
  }

  /** The first minute strictly after {@code after} (in its zone) that the expression matches. */
  public ZonedDateTime next(ZonedDateTime after) {
    BitSet[] f = fields(expression);
    boolean domAny = expression.strip().split("\\s+")[2].equals("*");
    boolean dowAny = expression.strip().split("\\s+")[4].equals("*");
    ZonedDateTime t = after.truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
    ZonedDateTime limit = after.plusYears(5);
    while (t.isBefore(limit)) {
      if (!f[3].get(t.getMonthValue())) {
        t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
        continue;
      }
      boolean dom = f[2].get(t.getDayOfMonth());
      boolean dow = f[4].get(t.getDayOfWeek().getValue() % 7);
      boolean day = domAny && dowAny ? true : domAny ? dow : dowAny ? dom : dom || dow;
      if (!day) {
        t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
        continue;
      }
      if (!f[1].get(t.getHour())) {
        t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
        continue;
      }
      if (!f[0].get(t.getMinute())) {
        t = t.plusMinutes(1);
        continue;
      }
      return t;
    }
    throw new KeyturnException.InvalidInput("cron expression never matches: " + expression);
  }

  private static BitSet[] fields(String expression) {
    String[] parts = expression.strip().split("\\s+");
    if (parts.length != 5) {
      throw new KeyturnException.InvalidInput(
          "a cron expression has five fields: minute hour day-of-month month day-of-week");
    }
    return new BitSet[] {
      field(parts[0], 0, 59, null, "minute"),
      field(parts[1], 0, 23, null, "hour"),
      field(parts[2], 1, 31, null, "day of month"),
      field(parts[3], 1, 12, MONTHS, "month"),
      field(parts[4], 0, 7, DAYS, "day of week")
    };
  }

  private static BitSet field(String text, int min, int max, String[] names, String what) {
    BitSet bits = new BitSet(max + 1);
    for (String item : text.split(",")) {
      int step = 1;
      String range = item;
      int slash = item.indexOf('/');
      if (slash >= 0) {
        step = number(item.substring(slash + 1), 1, max, null, what);
        range = item.substring(0, slash);
      }
      int from;
      int to;
      if (range.equals("*")) {
        from = min;
        to = max;
      } else if (range.contains("-")) {
        String[] ends = range.split("-", 2);
        from = number(ends[0], min, max, names, what);
        to = number(ends[1], min, max, names, what);
      } else {
        from = number(range, min, max, names, what);
        to = slash >= 0 ? max : from;
      }
      if (from > to) {
        throw new KeyturnException.InvalidInput("cron " + what + " range runs backwards");
      }
      for (int i = from; i <= to; i += step) {
        bits.set(i);
      }
    }
    if (names == DAYS && bits.get(7)) {
      bits.set(0); // 7 is Sunday too
    }
    return bits;
  }

  private static int number(String text, int min, int max, String[] names, String what) {
    if (names != null) {
      for (int i = 0; i < names.length; i++) {
        if (names[i].equals(text.toUpperCase(Locale.ROOT))) {
          return names == MONTHS ? i + 1 : i;
        }
      }
    }
    if (!text.matches("[0-9]{1,2}")
        || Integer.parseInt(text) < min
        || Integer.parseInt(text) > max) {
      throw new KeyturnException.InvalidInput("cron " + what + " must be " + min + "-" + max);
    }
    return Integer.parseInt(text);
  }
}
