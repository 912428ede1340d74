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
  public void set(TargetContext context) {}

  @Override
  public void test(TargetContext context) {}

  @Override
  public void rollback(TargetContext context) {}
}
