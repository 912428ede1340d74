package dev.keyturn.targets;

import dev.keyturn.core.HostPolicy;
import dev.keyturn.core.spi.Hook;
import dev.keyturn.core.spi.Target;
import java.util.Map;

/** The targets and hooks this module provides, by type name. */
public final class Targets {
  private Targets() {}

  /** The hooks, with no declared commands or SQLite files. */
  public static Map<String, Hook> hooks(java.time.Clock clock) {
    return hooks(clock, HostPolicy.none());
  }

  /** The hooks, running the commands and opening the SQLite files {@code host} declares. */
  public static Map<String, Hook> hooks(java.time.Clock clock, HostPolicy host) {
    return Map.of(
        CommandHook.TYPE, new CommandHook(host),
        HttpHook.TYPE, new HttpHook(clock),
        SqlHook.TYPE, new SqlHook(clock, host));
  }

  /** The targets, with no declared commands. */
  public static Map<String, Target> all(java.time.Clock clock) {
    return all(clock, HostPolicy.none());
  }

  /**
   * The targets, the command target running the commands {@code host} declares and the database
   * targets trusting the CA files it declares.
   */
  public static Map<String, Target> all(java.time.Clock clock, HostPolicy host) {
    PostgresTarget postgres = new PostgresTarget(host);
    MariaDbTarget mariadb = new MariaDbTarget(host);
    return Map.of(
        NoneTarget.TYPE,
        new NoneTarget(),
        CommandTarget.TYPE,
        new CommandTarget(host),
        WebhookTarget.TYPE,
        new WebhookTarget(clock),
        SmtpTarget.TYPE,
        new SmtpTarget(),
        PostgresTarget.TYPE,
        postgres,
        "postgres",
        postgres,
        MariaDbTarget.TYPE,
        mariadb,
        "mysql",
        mariadb,
        RedisTarget.TYPE,
        new RedisTarget(host));
  }
}
