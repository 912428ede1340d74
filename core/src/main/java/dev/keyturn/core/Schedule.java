package dev.keyturn.core;

import java.time.Duration;
import java.time.Instant;
import java.time.Period;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a secret is due for rotation. Either {@code every}: one period after its current version was
 * created, a fixed duration ({@code 90d}, {@code 12h}) or a calendar period ({@code 3mo}, {@code
 * 1y}) counted in the rule's time zone, so a monthly rotation keeps its day of the month across DST
 * changes and a yearly one created on 29 February still happens every year (on 28 February in
 * common years). Or {@code cron}: the next match of a five-field expression. Either way an optional
 * {@code window} ({@code Sun 02:00-04:00}) moves the due time to the window's next opening, with
 * jitter inside its first half so that many secrets do not rotate in the same second. Immutable.
 */
public record Schedule(
    Optional<String> every, Optional<String> cron, Optional<String> window, ZoneId zone) {
  private static final Pattern CALENDAR = Pattern.compile("([0-9]{1,4})(mo|y)");

  public Schedule {
    if (every.isPresent() == cron.isPresent()) {
      throw new KeyturnException.InvalidInput("a schedule has --every or --cron, not both");
    }
    every.ifPresent(Schedule::parse);
    cron.ifPresent(Cron::new);
    window.ifPresent(Window::new);
  }

  /** A period schedule in {@code timezone} (UTC when null). */
  public static Schedule of(String every, String timezone) {
    return new Schedule(Optional.of(every), Optional.empty(), Optional.empty(), zone(timezone));
  }

  public static ZoneId zone(String timezone) {
    try {
      return ZoneId.of(timezone == null ? "UTC" : timezone);
    } catch (RuntimeException e) {
      throw new KeyturnException.InvalidInput(
          "unknown time zone (use an IANA name such as Europe/Berlin)");
    }
  }

  /** When a secret whose current version was created at {@code from} is due, without jitter. */
  public Instant after(Instant from) {
    ZonedDateTime base = base(from);
    return window.map(w -> new Window(w).next(base).at()).orElse(base).toInstant();
  }

  /** As {@link #after}, plus a random delay inside the first half of the window's opening. */
  public Instant due(Instant from, RandomGenerator random) {
    ZonedDateTime base = base(from);
    if (window.isEmpty()) {
      return base.toInstant();
    }
    return jittered(new Window(window.get()).next(base), random);
  }

  /**
   * For a schedule with a window: a random instant inside the first half of the window's first
   * opening at or after {@code from}; absent without a window.
   */
  public Optional<Instant> nextOpening(Instant from, RandomGenerator random) {
    return window.map(
        w -> jittered(new Window(w).next(ZonedDateTime.ofInstant(from, zone)), random));
  }

  /** Whether a rotation may start at {@code at}: always without a window, else inside it. */
  public boolean isOpen(Instant at) {
    ZonedDateTime t = ZonedDateTime.ofInstant(at, zone);
    return window.map(w -> new Window(w).next(t).at().isEqual(t)).orElse(true);
  }

  private static Instant jittered(Window.Opening opening, RandomGenerator random) {
    long spread = opening.length().toSeconds() / 2;
    return opening.at().toInstant().plusSeconds(spread <= 0 ? 0 : random.nextLong(spread));
  }

  private ZonedDateTime base(Instant from) {
    ZonedDateTime start = ZonedDateTime.ofInstant(from, zone);
    if (cron.isPresent()) {
      return new Cron(cron.get()).next(start);
    }
    Object period = parse(every.orElseThrow());
    return period instanceof Period p ? start.plus(p) : start.plus((Duration) period);
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

  @Override
  public String toString() {
    return every.map(e -> "every " + e).orElseGet(() -> "cron " + cron.orElseThrow())
        + window.map(w -> " in " + w).orElse("")
        + (zone.getId().equals("UTC") ? "" : " (" + zone.getId() + ")");
  }

  /** Convenience for optional schedules. */
  public static Optional<Instant> nextDue(
      Optional<Schedule> schedule, Instant from, RandomGenerator random) {
    return schedule.map(s -> s.due(from, random));
  }
}
