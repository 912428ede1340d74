package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When rotations may start: days of the week and a time span, e.g. {@code Sun 02:00-04:00} or
 * {@code Mon-Fri 22:00-23:30}, in the rule's time zone. A window start that falls in an hour
 * skipped by a DST change moves to the first instant after the gap; one in a repeated hour takes
 * the earlier instant, so each window opens exactly once. Immutable.
 */
public record Window(String text) {
  private static final Pattern FORMAT =
      Pattern.compile(
          "(?i)(?:([a-z]{3})(?:-([a-z]{3}))?\\s+)?([0-2][0-9]):([0-5][0-9])-([0-2][0-9]):([0-5][0-9])");

  public Window {
    requireNonNull(text, "text");
    parse(text);
  }

  /** The first opening of the window at or after {@code from}, and how long it stays open. */
  public Opening next(ZonedDateTime from) {
    Parsed p = parse(text);
    for (int d = -1; d <= 8; d++) {
      ZonedDateTime day = from.toLocalDate().plusDays(d).atStartOfDay(from.getZone());
      if (!p.days.contains(day.getDayOfWeek())) {
        continue;
      }
      ZonedDateTime start = ZonedDateTime.of(day.toLocalDate(), p.start, from.getZone());
      ZonedDateTime end = start.plus(p.length);
      if (end.isAfter(from)) {
        ZonedDateTime opens = start.isBefore(from) ? from : start;
        return new Opening(opens, Duration.between(opens, end));
      }
    }
    throw new IllegalStateException("a window opens at least once a week");
  }

  /** A window opening: when, and for how long. */
  public record Opening(ZonedDateTime at, Duration length) {}

  private record Parsed(Set<DayOfWeek> days, LocalTime start, Duration length) {}

  private static Parsed parse(String text) {
    Matcher m = FORMAT.matcher(text.strip());
    if (!m.matches()) {
      throw new KeyturnException.InvalidInput(
          "a window is [DAY[-DAY]] HH:MM-HH:MM, e.g. 'Sun 02:00-04:00' or 'Mon-Fri 22:00-23:30'");
    }
    Set<DayOfWeek> days = EnumSet.allOf(DayOfWeek.class);
    if (m.group(1) != null) {
      DayOfWeek first = day(m.group(1));
      DayOfWeek last = m.group(2) == null ? first : day(m.group(2));
      days = EnumSet.noneOf(DayOfWeek.class);
      for (DayOfWeek d = first; ; d = d.plus(1)) {
        days.add(d);
        if (d == last) {
          break;
        }
      }
    }
    int sh = Integer.parseInt(m.group(3));
    int eh = Integer.parseInt(m.group(5));
    if (sh > 23 || eh > 24) {
      throw new KeyturnException.InvalidInput("a window's hours run from 00 to 24");
    }
    LocalTime start = LocalTime.of(sh, Integer.parseInt(m.group(4)));
    int startMinutes = sh * 60 + Integer.parseInt(m.group(4));
    int endMinutes = eh * 60 + Integer.parseInt(m.group(6));
    int length =
        endMinutes > startMinutes ? endMinutes - startMinutes : endMinutes + 1440 - startMinutes;
    return new Parsed(days, start, Duration.ofMinutes(length));
  }

  private static DayOfWeek day(String name) {
    for (DayOfWeek d : DayOfWeek.values()) {
      if (d.getDisplayName(TextStyle.SHORT, Locale.ENGLISH).equalsIgnoreCase(name)) {
        return d;
      }
    }
    throw new KeyturnException.InvalidInput("unknown day '" + name + "' (Mon, Tue, ... Sun)");
  }
}
