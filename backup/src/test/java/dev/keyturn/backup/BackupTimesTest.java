package dev.keyturn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link BackupTimes} writes and reads exactly as {@link Instant#toString} and parse do. */
class BackupTimesTest {

  @Test
  void format_randomInstantsAndEveryFractionLength_equalsInstantToString() {
    Random random = new Random(17);
    for (int i = 0; i < 20_000; i++) {
      long seconds = random.nextLong(-100_000_000_000L, 300_000_000_000L);
      int nano =
          switch (i % 4) {
            case 0 -> 0;
            case 1 -> random.nextInt(1000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1_000;
            default -> random.nextInt(1_000_000_000);
          };
      Instant t = Instant.ofEpochSecond(seconds, nano);

      String text = BackupTimes.format(t);

      assertThat(text).isEqualTo(t.toString());
      assertThat(BackupTimes.parse(text)).isEqualTo(t);
    }
  }

  @Test
  void parse_otherFormsTheJdkReads_readAsTheJdkReadsThem() {
    for (String text :
        List.of(
            "2026-11-28T19:39:00Z",
            "2026-11-28T19:39:00.1Z",
            "2026-11-28T19:39:00.12345Z",
            "2026-11-28T19:39:00.123456789Z",
            "2026-11-28t19:39:00z",
            "2026-11-28T19:39:00+01:00",
            "2016-12-31T23:59:60Z",
            "2026-11-28T24:00:00Z",
            "2026-11-28T19:39:00.Z",
            "1969-12-31T23:59:59.5Z",
            "0001-01-01T00:00:00Z",
            "+10000-01-01T00:00:00Z")) {
      assertThat(BackupTimes.parse(text)).as(text).isEqualTo(Instant.parse(text));
    }
  }

  @Test
  void parse_whatTheJdkRefuses_isRefused() {
    for (String text :
        List.of(
            "",
            "2026-11-28",
            "2026-13-28T19:39:00Z",
            "2026-02-30T19:39:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-28T19:60:00Z",
            "2026-11-28T19:39:00.1234567890Z",
            "2026-11-28T19:39:0aZ",
            "2026-11-28 19:39:00Z",
            "2026-11-28T19:39:00",
            "2026-1-28T19:39:00Z",
            "２026-11-28T19:39:00Z")) {
      assertThatThrownBy(() -> Instant.parse(text))
          .as(text)
          .isInstanceOf(DateTimeParseException.class);
      assertThatThrownBy(() -> BackupTimes.parse(text))
          .as(text)
          .isInstanceOf(DateTimeParseException.class);
    }
  }
}
