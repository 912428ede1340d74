package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.Period;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a secret is due for rotation: one period after its current version was created. A period is
 * a fixed duration ({@code 90d}, {@code 12h}) or a calendar period ({@code 3mo}, {@code 1y})
 * counted in the rule's time zone, so a monthly rotation keeps its day of the month across DST
 * changes and a yearly one created on 29 February still happens every year (on 28 February in
 * common years). Immutable.
 */
public record Schedule(String every, ZoneId zone) {
  private static final Pattern CALENDAR = Pattern.compile("([0-9]{1,4})(mo|y)");

  public Schedule {
    requireNonNull(every, "every");
    requireNonNull(zone, "zone");
    parse(every);
  }

  public static Schedule of(String every, String timezone) {
    ZoneId zone;
    try {
      zone = ZoneId.of(timezone == null ? "UTC" : timezone);
    } catch (RuntimeException e) {
      throw new KeyturnException.InvalidInput(
          "unknown time zone (use an IANA name such as Europe/Berlin)");
    }
    return new Schedule(every, zone);
  }

  /** The instant one period after {@code from}. */
  public Instant after(Instant from) {
    Object period = parse(every);
    if (period instanceof Period p) {
      return ZonedDateTime.ofInstant(from, zone).plus(p).toInstant();
    }
    return from.plus((Duration) period);
  }

  /** A calendar period or a duration; refuses anything else with a clear message. */
  private static Object parse(String text) {
    Matcher m = CALENDAR.matcher(text.strip().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      int n = Integer.parseInt(m.group(1));
      if (n < 1) {
        throw new KeyturnException.InvalidInput("a rotation period must be longer than zero");
      }
      return m.group(2).equals("mo") ? Period.ofMonths(n) : Period.ofYears(n);
    }
    Duration d = Durations.parse(text);
    if (d.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new KeyturnException.InvalidInput("a rotation period must be at least 1s");
    }
    return d;
  }

  /** The period as given, e.g. {@code 90d} or {@code 3mo}. */
  @Override
  public String toString() {
    return every + (zone.getId().equals("UTC") ? "" : " (" + zone.getId() + ")");
  }

  /** Convenience for optional schedules. */
  public static Optional<Instant> nextDue(Optional<Schedule> schedule, Instant from) {
    return schedule.map(s -> s.after(from));
  }
}
