package dev.keyturn.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import org.slf4j.Logger;

/**
 * The server log's setup, found by logback through {@code META-INF/services}: one line per event on
 * standard output (log format {@code json}: one JSON object per line instead, see {@link
 * LogFormat}), {@link ClientTextLogFilter} in front, and the libraries' chatter at {@code WARN}.
 * Never a secret value or token: code logs names, versions and token ids only.
 *
 * <p>Set in code rather than in a {@code logback.xml}: reading XML loads logback's configuration
 * model and the JDK's XML parser, about 400 classes that stayed in the server's memory for its
 * whole life (docs/performance.md, "Server memory at idle"). An operator's own configuration still
 * wins: with {@code -Dlogback.configurationFile=FILE} (in {@code KEYTURN_JAVA_OPTS}) this setup
 * steps aside and logback reads that file. A name logback would not find (a file that does not
 * exist) keeps this setup, with a warning: logback would otherwise fall back to its basic setup,
 * every logger at {@code DEBUG}, where Jetty writes each request's headers (the bearer token) and
 * bytes (the values sent) to the log.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
  private static final String CONFIGURATION_FILE = "logback.configurationFile";

  /** An API request's lines carry its id (X-Request-Id) in brackets after the logger. */
  static final String PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0}%replace( [%X{request_id}]){' \\[\\]',"
          + " ''} - %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    String named = System.getProperty(CONFIGURATION_FILE);
    if (named != null && found(named)) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    ClientTextLogFilter filter = new ClientTextLogFilter();
    filter.setContext(context);
    filter.start();
    context.addTurboFilter(filter);

    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("STDOUT");
    console.setEncoder(encoder);
    console.start();

    for (String chatty : new String[] {"org.eclipse.jetty", "com.zaxxer.hikari", "org.flywaydb"}) {
      context.getLogger(chatty).setLevel(Level.WARN);
    }
    var root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(console);
    if (named != null) {
      context
          .getLogger(LogSetup.class)
          .warn(
              "-D{}={} names no file that exists: the built-in log setup is used",
              CONFIGURATION_FILE,
              named);
    }
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * Whether logback finds the configuration {@code named}, looking as it does: a URL, else a
   * resource on the class path, else a file.
   */
  @SuppressWarnings("deprecation") // new URL(String) is what logback itself tries first
  static boolean found(String named) {
    try {
      new URL(named);
      return true;
    } catch (MalformedURLException e) {
      // not a URL: a resource or a file
    }
    ClassLoader loader = LogSetup.class.getClassLoader();
    return (loader != null && loader.getResource(named) != null) || new File(named).isFile();
  }
}
