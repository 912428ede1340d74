package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

/**
 * One decrypted version of a secret: its metadata and its value. Not a record: the value must not
 * take part in {@code equals}, {@code hashCode} or {@code toString}.
 */
public final class SecretValue {
  private final SecretName name;
  private final Version version;
  private final Plaintext plaintext;

  public SecretValue(SecretName name, Version version, Plaintext plaintext) {
    this.name = requireNonNull(name, "name");
    this.version = requireNonNull(version, "version");
    this.plaintext = requireNonNull(plaintext, "plaintext");
  }

  public SecretName name() {
    return name;
  }

  public Version version() {
    return version;
  }

  public Plaintext plaintext() {
    return plaintext;
  }

  @Override
  public String toString() {
    return name + "#" + version.number() + " (" + version.stage().wireName() + ") [redacted]";
  }
}
