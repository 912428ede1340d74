package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ScheduleTest {
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  @Test
  void fixedPeriod_isExactDuration() {
    Schedule s = Schedule.of("90d", "UTC");

    assertThat(s.after(Instant.parse("2026-01-01T02:30:00Z")))
        .isEqualTo(Instant.parse("2026-04-01T02:30:00Z"));
  }

  @Test
  void monthly_keepsTheWallClockTimeAcrossDst() {
    Schedule s = Schedule.of("1mo", "Europe/Berlin");
    Instant march = ZonedDateTime.of(2026, 3, 15, 2, 30, 0, 0, BERLIN).toInstant();

    Instant april = s.after(march);

    assertThat(ZonedDateTime.ofInstant(april, BERLIN).toLocalDateTime())
        .isEqualTo(ZonedDateTime.of(2026, 4, 15, 2, 30, 0, 0, BERLIN).toLocalDateTime());
    assertThat(april.getEpochSecond() - march.getEpochSecond())
        .as("an hour shorter in UTC")
        .isEqualTo(31 * 86400 - 3600);
  }

  @Test
  void yearly_fromALeapDay_stillRotatesEveryYear() {
    Schedule s = Schedule.of("1y", "UTC");
    Instant leap = Instant.parse("2028-02-29T12:00:00Z");

    Instant next = s.after(leap);

    assertThat(next).isEqualTo(Instant.parse("2029-02-28T12:00:00Z"));
    assertThat(s.after(next)).isEqualTo(Instant.parse("2030-02-28T12:00:00Z"));
  }

  @Test
  void dailyFromASkippedHour_landsOnceOnTheNextDay() {
    Schedule s = Schedule.of("1mo", "Europe/Berlin");
    // 02:30 on 2026-03-29 does not exist in Berlin: the clock jumps from 02:00 to 03:00.
    Instant before =
        ZonedDateTime.of(2026, 2, 28, 2, 30, 0, 0, BERLIN).withDayOfMonth(28).toInstant();
    Instant skipped = Schedule.of("29d", "UTC").after(before);

    assertThat(s.after(skipped)).isAfter(skipped);
  }

  @Test
  void badPeriods_areRefused() {
    assertThatThrownBy(() -> Schedule.of("0mo", "UTC"))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(() -> Schedule.of("90x", "UTC"))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(() -> Schedule.of("90d", "Mars/Olympus"))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }

  @Test
  void cron_nextMatchAfter() {
    Cron cron = new Cron("30 3 1 * *");
    ZonedDateTime from = ZonedDateTime.of(2026, 11, 22, 10, 0, 0, 0, java.time.ZoneOffset.UTC);

    assertThat(cron.next(from))
        .isEqualTo(ZonedDateTime.of(2026, 12, 1, 3, 30, 0, 0, java.time.ZoneOffset.UTC));
    assertThat(new Cron("*/15 * * * *").next(from)).isEqualTo(from.plusMinutes(15));
    assertThat(new Cron("0 2 * * SUN").next(from).getDayOfWeek())
        .isEqualTo(java.time.DayOfWeek.SUNDAY);
    assertThat(new Cron("0 0 29 FEB *").next(from).toLocalDate())
        .isEqualTo(java.time.LocalDate.of(2028, 2, 29));
    assertThat(new Cron("0 12 13 * FRI").next(from).getDayOfMonth())
        .as("dom or dow")
        .isIn(13, 27, 4, 11, 18, 25);
  }

  @Test
  void cron_invalid_isRefused() {
    for (String bad :
        new String[] {
          "* * * *",
          "60 * * * *",
          "* 24 * * *",
          "* * 0 * *",
          "* * * 13 *",
          "5-1 * * * *",
          "x * * * *"
        }) {
      assertThatThrownBy(() -> new Cron(bad))
          .as(bad)
          .isInstanceOf(KeyturnException.InvalidInput.class);
    }
  }

  @Test
  void window_opensOnTheNextMatchingDay() {
    Window w = new Window("Sun 02:00-04:00");
    ZonedDateTime wednesday = ZonedDateTime.of(2026, 11, 18, 12, 0, 0, 0, BERLIN);

    Window.Opening next = w.next(wednesday);

    assertThat(next.at()).isEqualTo(ZonedDateTime.of(2026, 11, 22, 2, 0, 0, 0, BERLIN));
    assertThat(next.length()).isEqualTo(java.time.Duration.ofHours(2));
    ZonedDateTime inside = ZonedDateTime.of(2026, 11, 22, 3, 0, 0, 0, BERLIN);
    assertThat(w.next(inside).at()).as("already open: now").isEqualTo(inside);
    assertThat(w.next(inside).length()).isEqualTo(java.time.Duration.ofHours(1));
  }

  @Test
  void window_inASkippedHour_opensOnceAfterTheGap() {
    // 2026-03-29: Berlin's clocks jump from 02:00 to 03:00; a 02:30 window start does not exist.
    Window w = new Window("Sun 02:30-03:30");
    ZonedDateTime saturday = ZonedDateTime.of(2026, 3, 28, 12, 0, 0, 0, BERLIN);

    Window.Opening next = w.next(saturday);

    assertThat(next.at().toLocalDate()).isEqualTo(java.time.LocalDate.of(2026, 3, 29));
    assertThat(next.at().toLocalTime()).isEqualTo(java.time.LocalTime.of(3, 30));
    Instant afterRotation = next.at().toInstant().plusSeconds(60);
    assertThat(
            new Schedule(
                    Optional.of("1d"), Optional.empty(), Optional.of("Sun 02:30-03:30"), BERLIN)
                .after(afterRotation))
        .as("the next opening is a week later, not again that night")
        .isAfter(afterRotation.plus(java.time.Duration.ofDays(6)));
  }

  @Test
  void window_inARepeatedHour_opensAtTheEarlierInstantOnly() {
    // 2026-10-25: Berlin's clocks go from 03:00 back to 02:00; 02:30 happens twice.
    Schedule s =
        new Schedule(Optional.of("1h"), Optional.empty(), Optional.of("Sun 02:30-02:45"), BERLIN);
    Instant saturday = ZonedDateTime.of(2026, 10, 24, 12, 0, 0, 0, BERLIN).toInstant();

    Instant first = s.after(saturday);

    assertThat(first).isEqualTo(Instant.parse("2026-10-25T00:30:00Z"));
    assertThat(s.after(first.plusSeconds(16 * 60)))
        .as("not again at the second 02:30")
        .isAfter(first.plus(java.time.Duration.ofDays(6)));
  }

  @Test
  void due_addsJitterInsideTheFirstHalfOfTheWindow() {
    Schedule s =
        new Schedule(
            Optional.of("1d"),
            Optional.empty(),
            Optional.of("02:00-04:00"),
            java.time.ZoneOffset.UTC);
    Instant from = Instant.parse("2026-11-22T10:00:00Z");
    java.util.Random random = new java.util.Random(42);

    for (int i = 0; i < 100; i++) {
      Instant due = s.due(from, random);
      assertThat(due)
          .isBetween(Instant.parse("2026-11-24T02:00:00Z"), Instant.parse("2026-11-24T03:00:00Z"));
    }
  }

  @Test
  void everyAndCron_areExclusive() {
    assertThatThrownBy(() ->
            new Schedule(Optional.of("1d"), Optional.of("* * * * *"), Optional.empty(), BERLIN))
        .isInstanceOf(KeyturnException.InvalidInput.class);
    assertThatThrownBy(() -> new Window("Sunday 02:00"))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }
}
