package dev.keyturn.targets;

import dev.keyturn.core.HookSpec;
import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Outbound;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.spi.Hook;
import dev.keyturn.targets.internal.DriverSockets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Properties;
import java.util.function.Function;

/**
 * Hook {@code sql}: runs {@code statement} against the database whose JDBC URL is the value of the
 * secret named {@code url-secret} (so its password stays in Keyturn), e.g. {@code DELETE FROM
 * magic_links} to invalidate tokens signed with an old key, or {@code SELECT 1} as a check. With
 * {@code backup: true} and a {@code jdbc:sqlite:} URL, the database file is first copied to {@code
 * FILE.keyturn-YYYYMMDDTHHMMSSZ.bak} (runbook A). Errors name the SQL state, never the URL.
 *
 * <p>The URL is a secret a writer may change after the rule was set, so it is checked at every use
 * ({@link JdbcUrls}): {@code postgresql} and {@code mariadb} URLs with harmless options only, on a
 * host the rule's outbound policy allows (checked again by the driver's socket on the address it
 * resolved, at connect time), and {@code sqlite} files the operator declared.
 */
public final class SqlHook implements Hook {
  public static final String TYPE = "sql";
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Clock clock;
  private final HostPolicy host;

  public SqlHook(Clock clock, HostPolicy host) {
    this.clock = clock;
    this.host = java.util.Objects.requireNonNull(host, "host");
  }

  @Override
  public void validate(
      HookSpec hook, java.util.function.Function<SecretName, SecretValue> secrets) {
    dev.keyturn.core.SettingChecks checks =
        dev.keyturn.core.SettingChecks.hook(hook)
            .only("url-secret", "statement", "backup")
            .secretName("url-secret")
            .bool("backup");
    checks.required("statement");
    String url =
        new String(
                secrets.apply(SecretName.of(checks.required("url-secret"))).plaintext().reveal(),
                StandardCharsets.UTF_8)
            .strip();
    if (!url.startsWith("jdbc:")) {
      throw new KeyturnException.InvalidInput(
          "the " + hook.label() + "'s url-secret must hold a JDBC URL (jdbc:...)");
    }
    if ("true".equals(hook.settings().get("backup")) && !url.startsWith("jdbc:sqlite:")) {
      throw new KeyturnException.InvalidInput(
          "the " + hook.label() + ": backup: true works for jdbc:sqlite: databases only");
    }
  }

  @Override
  public void run(
      HookSpec hook,
      RotationRule rule,
      Rotation rotation,
      Function<SecretName, SecretValue> secrets) {
    run(hook, rule, rotation, secrets, Outbound.publicOnly());
  }

  @Override
  public void run(
      HookSpec hook,
      RotationRule rule,
      Rotation rotation,
      Function<SecretName, SecretValue> secrets,
      Outbound outbound) {
    String urlSecret = hook.settings().get("url-secret");
    String statement = hook.settings().get("statement");
    if (urlSecret == null || statement == null || statement.isBlank()) {
      throw new KeyturnException.InvalidInput("a sql hook needs 'url-secret' and 'statement'");
    }
    String url =
        new String(
                secrets.apply(SecretName.of(urlSecret)).plaintext().reveal(),
                StandardCharsets.UTF_8)
            .strip();
    JdbcUrls.check(url, host, outbound);
    if (Boolean.parseBoolean(hook.settings().getOrDefault("backup", "false"))) {
      backup(url);
    }
    try (DriverSockets.Lease lease = DriverSockets.lease(outbound, JdbcUrls.host(url));
        Connection c = DriverManager.getConnection(url, properties(url, lease));
        Statement s = c.createStatement()) {
      s.execute(statement);
    } catch (SQLException e) {
      if (Outbound.isRefusal(e)) {
        throw Outbound.refused();
      }
      if (NetworkFailure.of(e).isPresent()) {
        throw new KeyturnException.TargetFailure(
            "the statement failed: " + NetworkFailure.describe("the database", e));
      }
      throw new KeyturnException.TargetFailure(
          "the statement failed (SQL state "
              + e.getSQLState()
              + ", code "
              + e.getErrorCode()
              + ")");
    }
  }

  /**
   * The connection properties that make a network driver connect through Keyturn's socket factory
   * (the URL cannot name another: {@link JdbcUrls} allows no {@code socketFactory} option).
   */
  private static Properties properties(String url, DriverSockets.Lease lease) {
    Properties props = new Properties();
    if (url.startsWith("jdbc:postgresql:")) {
      props.setProperty("socketFactory", DriverSockets.Postgres.class.getName());
      props.setProperty("socketFactoryArg", lease.key());
    } else if (url.startsWith("jdbc:mariadb:")) {
      props.setProperty("socketFactory", DriverSockets.MariaDb.class.getName());
      props.setProperty(DriverSockets.MARIADB_OPTION, lease.key());
    }
    return props;
  }

  private void backup(String url) {
    if (!url.startsWith("jdbc:sqlite:")) {
      throw new KeyturnException.InvalidInput("backup: true works for jdbc:sqlite: databases only");
    }
    Path file = Path.of(url.substring("jdbc:sqlite:".length()));
    Path copy =
        file.resolveSibling(
            file.getFileName() + ".keyturn-" + STAMP.format(clock.instant()) + ".bak");
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      // VACUUM INTO writes a consistent copy even while the app writes (WAL included).
      s.execute("VACUUM INTO '" + copy.toString().replace("'", "''") + "'");
    } catch (SQLException e) {
      try {
        Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES);
      } catch (IOException io) {
        throw new KeyturnException.TargetFailure("the backup of " + file.getFileName() + " failed");
      }
    }
  }
}
