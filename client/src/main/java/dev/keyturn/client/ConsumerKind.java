package dev.keyturn.client;

import java.util.Locale;

/** What kind of process a consumer is. */
public enum ConsumerKind {
  /** {@code keyturn run --watch}. */
  RUN,
  /** {@code keyturn agent}. */
  AGENT,
  /** An application using this SDK. */
  SDK;

  /** The wire name ({@code run}, {@code agent}, {@code sdk}). */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
