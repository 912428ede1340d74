package dev.keyturn.backup;

import dev.keyturn.core.Plaintext;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Backup documents made in memory, with canary values that must never show up anywhere else. */
final class Samples {
  static final String CANARY = "canary-9f8e7d6c";

  private Samples() {}

  static BackupDocument.Header header() {
    return new BackupDocument.Header(
        Instant.parse("2026-11-28T10:00:00Z"), "node-1", "rk-abc", Optional.of("7:abcd"), "app");
  }

  /** {@code count} secrets below app/, each with a previous and a current version. */
  static List<BackupSecret> secrets(int count) {
    List<BackupSecret> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Instant made = Instant.parse("2026-11-01T00:00:00Z").plusSeconds(i);
      boolean json = i % 3 == 0;
      String old = json ? "{\"password\":\"" + CANARY + "-old-" + i + "\"}" : CANARY + "-old-" + i;
      String now = json ? "{\"password\":\"" + CANARY + "-new-" + i + "\"}" : CANARY + "-new-" + i;
      ValueType type = json ? ValueType.JSON : ValueType.STRING;
      out.add(
          new BackupSecret(
              SecretName.of("app/s" + i),
              Optional.empty(),
              List.of(
                  new BackupVersion(
                      new Version(
                          2,
                          Stage.PREVIOUS,
                          type,
                          made,
                          "tok_a",
                          Optional.of(Instant.parse("2026-12-30T00:00:00Z")),
                          ""),
                      Plaintext.ofUtf8(old)),
                  new BackupVersion(
                      new Version(3, Stage.CURRENT, type, made, "tok_a", Optional.empty(), ""),
                      Plaintext.ofUtf8(now)))));
    }
    return out;
  }

  static byte[] document(int count) {
    return BackupWriter.document(header(), secrets(count));
  }
}
