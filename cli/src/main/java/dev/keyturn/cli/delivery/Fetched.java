package dev.keyturn.cli.delivery;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One secret as a {@link SecretSource} returns it: its current value as text (a JSON value as JSON
 * text) and, when asked for, the other values its keyring accepts now: the pending one first, then
 * previous ones newest first. Holds values, so not a record; {@code toString} shows the name only.
 */
public final class Fetched {
  private final String name;
  private final String value;
  private final boolean json;
  private final List<String> others;
  private final int version;
  private final List<Integer> otherVersions;

  /** A secret whose version numbers are not known (as a fake source gives it). */
  public Fetched(String name, String value, boolean json, List<String> others) {
    this(name, value, json, others, 0, List.of());
  }

  /**
   * @param version the current value's version number
   * @param otherVersions the numbers of {@code others}, in the same order
   */
  public Fetched(
      String name,
      String value,
      boolean json,
      List<String> others,
      int version,
      List<Integer> otherVersions) {
    this.name = requireNonNull(name, "name");
    this.value = requireNonNull(value, "value");
    this.json = json;
    this.others = List.copyOf(others);
    this.version = version;
    this.otherVersions = List.copyOf(otherVersions);
  }

  /** The current value's version number; 0 when the source did not say. */
  public int version() {
    return version;
  }

  /** The version numbers of {@link #others}, in the same order. */
  public List<Integer> otherVersions() {
    return otherVersions;
  }

  public String name() {
    return name;
  }

  /** The current value: a string as it is, a JSON object as JSON text. */
  public String reveal() {
    return value;
  }

  /** Whether the stored value is a JSON object (as database secrets are). */
  public boolean json() {
    return json;
  }

  /** The keyring's other values in fallback order; empty unless a keyring was asked for. */
  public List<String> others() {
    return others;
  }

  @Override
  public String toString() {
    return "Fetched[" + name + ", value=[redacted]]";
  }
}
