package dev.keyturn.server;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.Utf8ByteOutput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Renders the dashboard's templates, compiled into this module at build time by jte (HTML mode:
 * every value is escaped for where it lands), and formats times for them. Thread-safe.
 */
final class UiRender {
  private static final TemplateEngine ENGINE =
      TemplateEngine.createPrecompiled(
          null, ContentType.Html, UiRender.class.getClassLoader(), "dev.keyturn.server");
  private static final DateTimeFormatter EXACT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  private UiRender() {}

  /** The template {@code name} (e.g. {@code secrets.jte}) rendered with its one parameter. */
  static byte[] render(String name, Object model) {
    Utf8ByteOutput out = new Utf8ByteOutput();
    ENGINE.render(name, model, out);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(out.getContentLength());
    try {
      out.writeTo(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** {@code iso} (an RFC 3339 time from the API, or null) as the page shows it, relative to now. */
  static UiModel.Time time(String iso, Instant now) {
    if (iso == null || iso.isEmpty()) {
      return UiModel.Time.NONE;
    }
    Instant at = Instant.parse(iso);
    return new UiModel.Time(iso, EXACT.format(at), relative(Duration.between(now, at)));
  }

  /** "in 3 d", "5 min ago", "now". */
  static String relative(Duration d) {
    long s = d.getSeconds();
    long abs = Math.abs(s);
    String amount;
    if (abs < 45) {
      return "now";
    } else if (abs < 3600) {
      amount = Math.round(abs / 60.0) + " min";
    } else if (abs < 86_400) {
      amount = Math.round(abs / 3600.0) + " h";
    } else {
      amount = Math.round(abs / 86_400.0) + " d";
    }
    return s > 0 ? "in " + amount : amount + " ago";
  }
}
