package dev.keyturn.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version Keyturn was built as. */
public final class KeyturnVersion {
  private static final String VERSION = load();

  private KeyturnVersion() {}

  public static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = KeyturnVersion.class.getResourceAsStream("version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
