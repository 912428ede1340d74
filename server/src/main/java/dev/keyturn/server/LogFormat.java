package dev.keyturn.server;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.util.Locale;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

/**
 * The server log's format: {@code text} (one line per event, as {@link LogSetup} sets up) or {@code
 * json} (one JSON object per line, by the logstash encoder: {@code @timestamp}, {@code level},
 * {@code logger_name}, {@code message}, the MDC's {@code request_id}, and the access log's {@code
 * action}, {@code status} and {@code duration_ms}). What is logged is the same in both.
 */
enum LogFormat {
  TEXT,
  JSON;

  /** Parses {@code text} or {@code json}. */
  static LogFormat of(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "text" -> TEXT;
      case "json" -> JSON;
      default ->
          throw new dev.keyturn.core.KeyturnException.InvalidInput(
              "--log-format must be text or json");
    };
  }

  /**
   * Makes the root logger's appenders write this format; {@code text} leaves {@link LogSetup}'s
   * setup.
   */
  void apply() {
    if (this == TEXT) {
      return;
    }
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    var root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    for (var it = root.iteratorForAppenders(); it.hasNext(); ) {
      Appender<ILoggingEvent> appender = it.next();
      if (appender instanceof OutputStreamAppender<ILoggingEvent> stream) {
        stream.stop();
        stream.setEncoder(encoder(context));
        stream.start();
      }
    }
  }

  private static Encoder<ILoggingEvent> encoder(LoggerContext context) {
    LogstashEncoder json = new LogstashEncoder();
    json.setContext(context);
    json.start();
    return json;
  }
}
