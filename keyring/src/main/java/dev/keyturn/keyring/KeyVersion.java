package dev.keyturn.keyring;

import static java.util.Objects.requireNonNull;

/**
 * One version of a secret as a keyring holds it: number, stage and value. The value is secret
 * material: it is read only through {@link #reveal()} and never appears in {@code toString}. A JSON
 * object value is kept as its JSON text and marked {@link #isJson()}, so that a keyring that needs
 * a string key can refuse it by version. Immutable and thread-safe.
 */
public final class KeyVersion {
  private final int version;
  private final KeyStage stage;
  private final String value;
  private final boolean json;

  private KeyVersion(int version, KeyStage stage, String value, boolean json) {
    if (version < 1) {
      throw new IllegalArgumentException("version numbers start at 1, not " + version);
    }
    this.version = version;
    this.stage = requireNonNull(stage, "stage");
    this.value = requireNonNull(value, "value");
    this.json = json;
  }

  /** A version whose value is a UTF-8 string. */
  public static KeyVersion text(int version, KeyStage stage, String value) {
    return new KeyVersion(version, stage, value, false);
  }

  /** A version whose value is a JSON object, given as its JSON text. */
  public static KeyVersion json(int version, KeyStage stage, String jsonText) {
    return new KeyVersion(version, stage, jsonText, true);
  }

  public int version() {
    return version;
  }

  public KeyStage stage() {
    return stage;
  }

  /** Whether the value is a JSON object rather than a string. */
  public boolean isJson() {
    return json;
  }

  /** The value: the string, or the JSON text of a JSON value. */
  public String reveal() {
    return value;
  }

  /** {@code #N stage}: what messages name a version by. */
  String label(String name) {
    return name + "#" + version + " (" + stage.wireName() + ")";
  }

  /** Never shows the value. */
  @Override
  public String toString() {
    return "KeyVersion[#" + version + " " + stage.wireName() + ", value=[redacted]]";
  }
}
