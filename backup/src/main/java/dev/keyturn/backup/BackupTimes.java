package dev.keyturn.backup;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * The document's time stamps: {@link Instant#toString} and {@link Instant#parse}, with a short path
 * for the common form ({@code 2026-11-28T19:39:00.123Z}, years 1970 to 9999). A backup holds two or
 * three stamps per version, and the JDK's formatter was half of checking a document (profile in
 * docs/performance.md). Anything outside that form goes to the JDK, so exactly what {@link
 * Instant#parse} accepts is accepted and every stamp written is what {@link Instant#toString}
 * writes.
 */
final class BackupTimes {
  /** 9999-12-31T23:59:59Z. */
  private static final long LAST_SECOND = 253_402_300_799L;

  private BackupTimes() {}

  /** As {@link Instant#toString}. */
  static String format(Instant t) {
    long seconds = t.getEpochSecond();
    if (seconds < 0 || seconds > LAST_SECOND) {
      return t.toString();
    }
    LocalDateTime at = LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC);
    StringBuilder out = new StringBuilder(30);
    digits(out, at.getYear(), 4).append('-');
    digits(out, at.getMonthValue(), 2).append('-');
    digits(out, at.getDayOfMonth(), 2).append('T');
    digits(out, at.getHour(), 2).append(':');
    digits(out, at.getMinute(), 2).append(':');
    digits(out, at.getSecond(), 2);
    int nano = t.getNano();
    if (nano != 0) {
      // As the JDK writes a fraction: in groups of three digits, as few as needed.
      out.append('.');
      if (nano % 1_000_000 == 0) {
        digits(out, nano / 1_000_000, 3);
      } else if (nano % 1_000 == 0) {
        digits(out, nano / 1_000, 6);
      } else {
        digits(out, nano, 9);
      }
    }
    return out.append('Z').toString();
  }

  /**
   * As {@link Instant#parse}.
   *
   * @throws java.time.format.DateTimeParseException as {@link Instant#parse} throws it
   */
  static Instant parse(String text) {
    Instant quick = quick(text);
    return quick != null ? quick : Instant.parse(text);
  }

  /** {@code YYYY-MM-DDTHH:MM:SS[.F{1,9}]Z} read directly; null for anything else. */
  private static Instant quick(String s) {
    int n = s.length();
    if (n < 20 || n > 30 || s.charAt(n - 1) != 'Z') {
      return null;
    }
    if (s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || s.charAt(10) != 'T'
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return null;
    }
    int year = number(s, 0, 4);
    int month = number(s, 5, 7);
    int day = number(s, 8, 10);
    int hour = number(s, 11, 13);
    int minute = number(s, 14, 16);
    int second = number(s, 17, 19);
    if (year < 1970 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
      return null;
    }
    int nano = 0;
    if (n > 20) {
      int digits = n - 21;
      if (s.charAt(19) != '.' || digits < 1 || digits > 9) {
        return null;
      }
      nano = number(s, 20, n - 1);
      if (nano < 0) {
        return null;
      }
      for (int i = digits; i < 9; i++) {
        nano *= 10;
      }
    }
    try {
      // Checks the ranges (month 13, February 30, hour 24, second 60 throw): those go to the JDK.
      LocalDateTime at = LocalDateTime.of(year, month, day, hour, minute, second, nano);
      return Instant.ofEpochSecond(at.toEpochSecond(ZoneOffset.UTC), nano);
    } catch (DateTimeException e) {
      return null;
    }
  }

  /** The decimal number of {@code s[from, to)}, or -1 if it holds anything but ASCII digits. */
  private static int number(String s, int from, int to) {
    int value = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static StringBuilder digits(StringBuilder out, int value, int width) {
    String text = Integer.toString(value);
    for (int i = text.length(); i < width; i++) {
      out.append('0');
    }
    return out.append(text);
  }
}
