package dev.keyturn.targets;

import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a JDBC URL that a secret holds (a SQL hook's {@code url-secret}) every time it is used: a
 * writer of that secret may change it after an admin set the rule. Allowed: {@code
 * jdbc:postgresql://HOST[:PORT]/DB} and {@code jdbc:mariadb://HOST[:PORT]/DB} with connection
 * options from a short list that load no code, no file and nothing remote (no {@code
 * socketFactory}, {@code sslfactory}, {@code loggerFile}, {@code allowLocalInfile}, ...), on a host
 * the outbound policy allows; and {@code jdbc:sqlite:/FILE} for files the operator declared ({@code
 * sqlite-files}), without options (no {@code :resource:}, no {@code :memory:}, no extension
 * loading). Messages never quote the URL.
 */
final class JdbcUrls {
  private static final Pattern NETWORK =
      Pattern.compile(
          "jdbc:(postgresql|mariadb)://([A-Za-z0-9.-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}\\])"
              + "(?::([0-9]{1,5}))?/([A-Za-z0-9_.$-]{1,64})(?:\\?(.*))?",
          Pattern.DOTALL);
  private static final Pattern OPTION =
      Pattern.compile("([A-Za-z]{1,40})=([A-Za-z0-9_.%+-]{0,512})");
  private static final Set<String> OPTIONS =
      Set.of(
          "user",
          "password",
          "ssl",
          "sslmode",
          "connecttimeout",
          "sockettimeout",
          "logintimeout",
          "applicationname",
          "tcpkeepalive");

  private JdbcUrls() {}

  /** The host of a network URL that {@link #check} allowed; {@code ""} for a SQLite file. */
  static String host(String url) {
    Matcher m = NETWORK.matcher(url);
    if (!m.matches()) {
      return "";
    }
    String host = m.group(2);
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }

  /**
   * @throws KeyturnException.InvalidInput if the URL is not allowed
   * @throws KeyturnException.Forbidden if its host is not one {@code outbound} allows
   */
  static void check(String url, HostPolicy host, Outbound outbound) {
    if (url.startsWith("jdbc:sqlite:")) {
      String file = url.substring("jdbc:sqlite:".length());
      if (!file.startsWith("/")
          || file.contains("?")
          || file.indexOf('\0') >= 0
          || !host.sqliteFileDeclared(Path.of(file))) {
        throw new KeyturnException.InvalidInput(
            "the sql hook's URL names a SQLite file the server's configuration file does not"
                + " declare (sqlite-files), or adds options");
      }
      return;
    }
    Matcher m = NETWORK.matcher(url);
    if (!m.matches()) {
      throw new KeyturnException.InvalidInput(
          "the sql hook's URL must be jdbc:postgresql://HOST[:PORT]/DB, jdbc:mariadb://HOST[:PORT]/DB"
              + " or jdbc:sqlite:/declared/file");
    }
    if (m.group(5) != null) {
      for (String option : m.group(5).split("&", -1)) {
        Matcher o = OPTION.matcher(option);
        if (!o.matches() || !OPTIONS.contains(o.group(1).toLowerCase(Locale.ROOT))) {
          throw new KeyturnException.InvalidInput(
              "the sql hook's URL has a connection option that is not allowed (allowed: user,"
                  + " password, ssl, sslmode, connectTimeout, socketTimeout, loginTimeout,"
                  + " ApplicationName, tcpKeepAlive)");
        }
      }
    }
    if (!outbound.isUnrestricted()) {
      String name = m.group(2);
      try {
        for (InetAddress address : InetAddress.getAllByName(name)) {
          if (!outbound.allows(name, address)) {
            throw Outbound.refused();
          }
        }
      } catch (UnknownHostException e) {
        throw new KeyturnException.TargetFailure("the sql hook's database host is unknown");
      }
    }
  }
}
