package dev.keyturn.targets;

import dev.keyturn.core.spi.Target;
import dev.keyturn.core.spi.TargetContext;

/**
 * Target {@code none}: the value is only consumed by applications (an HMAC key, a JWT signing key,
 * a framework's {@code SECRET_KEY}), which read it from Keyturn; there is nothing to apply.
 */
public final class NoneTarget implements Target {
  public static final String TYPE = "none";

  @Override
  public void validate(
      dev.keyturn.core.RotationRule rule,
      java.util.function.Function<dev.keyturn.core.SecretName, dev.keyturn.core.SecretValue>
          secrets) {
    Target.super.validate(rule, secrets);
    dev.keyturn.core.SettingChecks.target(rule).only();
  }

  @Override
  public void set(TargetContext context) {}

  @Override
  public void test(TargetContext context) {}

  @Override
  public void rollback(TargetContext context) {}
}
