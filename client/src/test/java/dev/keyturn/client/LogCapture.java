package dev.keyturn.client;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.slf4j.LoggerFactory;

/**
 * Everything logged while it is open: {@link System.Logger} records (through java.util.logging, the
 * JDK's default) and HikariCP's SLF4J events at DEBUG, formatted with their arguments and
 * exceptions.
 */
final class LogCapture implements AutoCloseable {
  private final List<String> lines = new ArrayList<>();
  private final SimpleFormatter formatter = new SimpleFormatter();
  private final Handler handler =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          synchronized (lines) {
            lines.add(formatter.format(record));
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final ch.qos.logback.classic.Logger hikari;

  LogCapture() {
    Logger.getLogger("").addHandler(handler);
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    hikari = context.getLogger("com.zaxxer.hikari");
    hikari.setLevel(Level.DEBUG);
    appender.setContext(context);
    appender.start();
    hikari.addAppender(appender);
  }

  /** Every line so far. */
  String text() {
    StringBuilder out = new StringBuilder();
    synchronized (lines) {
      lines.forEach(out::append);
    }
    for (ILoggingEvent event : List.copyOf(appender.list)) {
      out.append(event.getFormattedMessage()).append('\n');
      if (event.getThrowableProxy() != null) {
        out.append(event.getThrowableProxy().getMessage()).append('\n');
      }
    }
    return out.toString();
  }

  @Override
  public void close() {
    Logger.getLogger("").removeHandler(handler);
    hikari.detachAppender(appender);
  }
}
