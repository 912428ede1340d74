package dev.keyturn.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
  @Test
  void parse_unitsAndCombinations() {
    assertThat(Durations.parse("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(Durations.parse("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(Durations.parse("24h")).isEqualTo(Duration.ofHours(24));
    assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("0")).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "10", "h", "1.5h", "-1h", "10 s", "1w", "1h-", "36501d"})
  void parse_invalid_isRefused(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }

  @Test
  void after_calendarPeriods_countOnTheUtcCalendar() {
    java.time.Instant jan31 = java.time.Instant.parse("2027-01-31T10:15:00Z");
    java.time.Instant leap = java.time.Instant.parse("2028-02-29T00:00:00Z");

    assertThat(Durations.after(jan31, "1mo")).isEqualTo("2027-02-28T10:15:00Z");
    assertThat(Durations.after(jan31, "3mo")).isEqualTo("2027-04-30T10:15:00Z");
    assertThat(Durations.after(jan31, "1y")).isEqualTo("2028-01-31T10:15:00Z");
    assertThat(Durations.after(leap, "1y")).isEqualTo("2029-02-28T00:00:00Z");
    assertThat(Durations.after(jan31, "100y")).isEqualTo("2127-01-31T10:15:00Z");
    assertThat(Durations.after(jan31, "24h")).isEqualTo("2027-02-01T10:15:00Z");
  }

  @ParameterizedTest
  @ValueSource(strings = {"101y", "1201mo", "1y2mo", "mo", "1Y", "1 y", "-1y", "1yd"})
  void after_invalidCalendarPeriod_isRefused(String text) {
    java.time.Instant now = java.time.Instant.parse("2027-01-31T10:15:00Z");

    assertThatThrownBy(() -> Durations.after(now, text))
        .isInstanceOf(KeyturnException.InvalidInput.class);
  }

  @Test
  void format_roundTrips() {
    for (String text : new String[] {"0", "10s", "1h30m", "1d", "2d3h4m5s"}) {
      assertThat(Durations.format(Durations.parse(text))).isEqualTo(text);
    }
  }
}
