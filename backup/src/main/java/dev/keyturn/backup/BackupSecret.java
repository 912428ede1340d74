package dev.keyturn.backup;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.SecretName;
import dev.keyturn.core.Stage;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One secret in a backup: its name, its rotation rule (the rule document of {@code
 * dev.keyturn.core.RuleCodec}, if it had one) and its non-retired versions, oldest first.
 */
public final class BackupSecret {
  private final SecretName name;
  private final Optional<Map<String, Object>> rule;
  private final List<BackupVersion> versions;

  public BackupSecret(
      SecretName name, Optional<Map<String, Object>> rule, List<BackupVersion> versions) {
    this.name = requireNonNull(name, "name");
    this.rule = requireNonNull(rule, "rule");
    this.versions = List.copyOf(versions);
  }

  public SecretName name() {
    return name;
  }

  public Optional<Map<String, Object>> rule() {
    return rule;
  }

  public List<BackupVersion> versions() {
    return versions;
  }

  /** The version that was current when the backup was made, if any. */
  public Optional<BackupVersion> current() {
    return versions.stream().filter(v -> v.metadata().stage() == Stage.CURRENT).findFirst();
  }

  /** Zeroes every value held. */
  public void destroy() {
    versions.forEach(v -> v.value().destroy());
  }

  @Override
  public String toString() {
    return "BackupSecret[" + name + ", " + versions.size() + " versions]";
  }
}
