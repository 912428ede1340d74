package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.VersionSet.StageChange;
import dev.keyturn.core.spi.StoredSecret;
import java.util.List;

/**
 * What a write did: the secret as stored after it, and every version it created or moved (for the
 * audit log). Metadata only.
 */
public record WriteResult(StoredSecret after, List<StageChange> changes) {
  public WriteResult {
    requireNonNull(after, "after");
    changes = List.copyOf(changes);
  }

  /** The newest version after the write (the one a put created). */
  public Version newest() {
    List<Version> versions = after.versions().versions();
    return versions.get(versions.size() - 1);
  }

  /** Version {@code number} as it stands after the write. */
  public Version version(int number) {
    return after.versions().version(number).orElseThrow();
  }
}
