package dev.keyturn.client;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a verifier or decrypter of a secret should accept right now: its pending version (from the
 * moment it is stored), its current one, and previous versions still inside their grace window,
 * newest first, each with its stage. Signers and encrypters use {@link #current()} only. Immutable
 * and thread-safe; {@code toString} shows version numbers and stages, never a value.
 */
public final class Keyring {
  private final String name;
  private final List<SecretValue> versions;

  private Keyring(String name, List<SecretValue> versions) {
    this.name = name;
    this.versions = versions;
  }

  /**
   * The keyring of {@code name} holding {@code versions} (any order; kept newest first).
   *
   * @throws IllegalArgumentException when a member belongs to another secret, two share a number, a
   *     member is retired, or two are current or two pending
   */
  public static Keyring of(String name, List<SecretValue> versions) {
    requireNonNull(name, "name");
    List<SecretValue> sorted =
        requireNonNull(versions, "versions").stream()
            .sorted((a, b) -> Integer.compare(b.version(), a.version()))
            .toList();
    long current = sorted.stream().filter(v -> v.stage() == Stage.CURRENT).count();
    long pending = sorted.stream().filter(v -> v.stage() == Stage.PENDING).count();
    for (int i = 0; i < sorted.size(); i++) {
      SecretValue v = sorted.get(i);
      if (!v.name().equals(name)) {
        throw new IllegalArgumentException(name + ": a keyring member belongs to " + v.name());
      }
      if (v.stage() == Stage.RETIRED) {
        throw new IllegalArgumentException(name + "#" + v.version() + " is retired");
      }
      if (i > 0 && sorted.get(i - 1).version() == v.version()) {
        throw new IllegalArgumentException(name + "#" + v.version() + " is there twice");
      }
    }
    if (current > 1 || pending > 1) {
      throw new IllegalArgumentException(name + ": at most one current and one pending version");
    }
    return new Keyring(name, sorted);
  }

  /** The secret's name. */
  public String name() {
    return name;
  }

  /** Every member, newest first. */
  public List<SecretValue> versions() {
    return versions;
  }

  /**
   * The current version: the one to sign, encrypt or connect with (empty only while the secret's
   * sole version is pending).
   */
  public Optional<SecretValue> current() {
    return versions.stream().filter(v -> v.stage() == Stage.CURRENT).findFirst();
  }

  /** The pending version, if one is stored. */
  public Optional<SecretValue> pending() {
    return versions.stream().filter(v -> v.stage() == Stage.PENDING).findFirst();
  }

  /** The member with number {@code version}, if it is in the keyring. */
  public Optional<SecretValue> version(int version) {
    return versions.stream().filter(v -> v.version() == version).findFirst();
  }

  /** The version numbers, newest first. */
  public List<Integer> versionNumbers() {
    return versions.stream().map(SecretValue::version).toList();
  }

  /** Name, numbers and stages; never a value. */
  @Override
  public String toString() {
    return "Keyring["
        + name
        + ": "
        + versions.stream()
            .map(v -> "#" + v.version() + " " + v.stage().wireName())
            .collect(Collectors.joining(", "))
        + "]";
  }
}
