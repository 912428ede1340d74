package dev.keyturn.target;

import dev.keyturn.core.spi.Target;
import java.util.Map;

/** The targets this module provides, by type name. */
public final class Targets {
  private Targets() {}

  public static Map<String, Target> all() {
    return Map.of(NoneTarget.TYPE, new NoneTarget(), CommandTarget.TYPE, new CommandTarget());
  }
}
