package dev.keyturn.targets;

import dev.keyturn.core.spi.Hook;
import dev.keyturn.core.spi.Target;
import java.util.Map;

/** The targets and hooks this module provides, by type name. */
public final class Targets {
  private Targets() {}

  public static Map<String, Hook> hooks(java.time.Clock clock) {
    return Map.of(
        CommandHook.TYPE, new CommandHook(),
        HttpHook.TYPE, new HttpHook(clock),
        SqlHook.TYPE, new SqlHook(clock));
  }

  public static Map<String, Target> all(java.time.Clock clock) {
    PostgresTarget postgres = new PostgresTarget();
    MariaDbTarget mariadb = new MariaDbTarget();
    return Map.of(
        NoneTarget.TYPE,
        new NoneTarget(),
        CommandTarget.TYPE,
        new CommandTarget(),
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
        new RedisTarget());
  }
}
