package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
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
}
