package dev.keyturn.backup;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.Plaintext;
import dev.keyturn.core.Version;

/**
 * One version in a backup: its metadata (number, stage, type, times, creator, grace window; the
 * fingerprint is empty, since the store's fingerprints are keyed per data key and mean nothing
 * elsewhere) and its value, whose SHA-256 was checked against the backup's when it was read. Not a
 * record: it holds a value ({@link #toString} shows none).
 */
public final class BackupVersion {
  private final Version metadata;
  private final Plaintext value;

  public BackupVersion(Version metadata, Plaintext value) {
    this.metadata = requireNonNull(metadata, "metadata");
    this.value = requireNonNull(value, "value");
  }

  public Version metadata() {
    return metadata;
  }

  public Plaintext value() {
    return value;
  }

  @Override
  public String toString() {
    return "BackupVersion[#" + metadata.number() + " " + metadata.stage().wireName() + "]";
  }
}
