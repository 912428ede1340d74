package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.VersionSet.StageChange;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.StoredSecret;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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

  /**
   * One audit event per version this write created ({@code version.create}) or moved ({@code
   * version.stage}, detail {@code from->to}), by {@code tokenId} from {@code client}.
   */
  public List<AuditEvent> auditEvents(Instant time, String tokenId, String client) {
    List<AuditEvent> events = new ArrayList<>();
    for (StageChange change : changes) {
      events.add(
          new AuditEvent(
              time,
              tokenId,
              client,
              change.from().isEmpty() ? "version.create" : "version.stage",
              Optional.of(after.name().value()),
              Optional.of(change.version()),
              "ok",
              change.from().map(f -> f.wireName() + "->").orElse("") + change.to().wireName()));
    }
    return events;
  }
}
