package dev.keyturn.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link BackupReader}: the streaming reader hands over each secret as it is read, accepts fields
 * in any order, and refuses what the whole-document checks refuse plus what only a stream can meet
 * (a field given twice, data after the document, text that is not Unicode), never naming a value.
 */
class BackupReaderTest {
  private static final String HEAD =
      "{\"format\":\"keyturn-backup\",\"format_version\":1,\"created_at\":\"2026-11-28T10:00:00Z\","
          + "\"server_id\":\"n\",\"root_key_id\":\"r\",\"audit_checkpoint\":null,\"prefix\":\"\","
          + "\"secrets\":[";

  /** "x" and its SHA-256. */
  private static final String VALUE_X =
      "\"value\":\"x\",\"sha256\":\"2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\"";

  private static String version(String value) {
    return "{\"version\":1,\"stage\":\"current\",\"type\":\"string\","
        + "\"created_at\":\"2026-01-01T00:00:00Z\",\"created_by\":\"t\",\"accept_until\":null,"
        + value
        + "}";
  }

  private static BackupReader.Summary read(String doc, List<BackupSecret> into) {
    return BackupReader.read(
        new ByteArrayInputStream(doc.getBytes(StandardCharsets.UTF_8)), into::add);
  }

  @Test
  void read_handsOverEverySecretOfAWrittenDocument_oneAtATime() {
    byte[] doc = Samples.document(50);
    List<BackupSecret> seen = new ArrayList<>();

    BackupReader.Summary summary = BackupReader.read(new ByteArrayInputStream(doc), seen::add);

    assertThat(summary.secrets()).isEqualTo(50);
    assertThat(summary.versions()).isEqualTo(100);
    assertThat(summary.header().prefix()).isEqualTo("app");
    assertThat(seen).extracting(s -> s.name().value()).startsWith("app/s0", "app/s1");
    assertThat(seen.get(1).current().orElseThrow().value().revealUtf8())
        .isEqualTo(Samples.CANARY + "-new-1");
    seen.forEach(BackupSecret::destroy);
  }

  @Test
  void read_acceptsFieldsInAnyOrder_nameAfterItsVersions() {
    String doc =
        "{\"secret_count\":1,\"secrets\":[{\"versions\":["
            + version(VALUE_X)
            + "],\"rule\":null,\"name\":\"a/b\"}],\"prefix\":\"\",\"audit_checkpoint\":null,"
            + "\"root_key_id\":\"r\",\"server_id\":\"n\",\"created_at\":\"2026-11-28T10:00:00Z\","
            + "\"format_version\":1,\"format\":\"keyturn-backup\"}";
    List<BackupSecret> seen = new ArrayList<>();

    read(doc, seen);

    assertThat(seen).singleElement().satisfies(s -> assertThat(s.name().value()).isEqualTo("a/b"));
  }

  @Test
  void read_refusesWhatOnlyAStreamMeets_withoutNamingTheValue() {
    String one = "{\"name\":\"a/b\",\"rule\":null,\"versions\":[" + version(VALUE_X) + "]}";
    List<String> bad =
        List.of(
            HEAD + one + "],\"secret_count\":1}{}",
            HEAD + one + "],\"secret_count\":1,\"secret_count\":1}",
            HEAD
                + "{\"name\":\"a/b\",\"name\":\"a/c\",\"rule\":null,\"versions\":["
                + version(VALUE_X)
                + "]}],\"secret_count\":1}",
            HEAD
                + "{\"name\":\"a/b\",\"rule\":null,\"versions\":["
                + version("\"value\":\"\\ud800-secret\",\"sha256\":\"00\"")
                + "]}],\"secret_count\":1}",
            HEAD + one + "," + one + "],\"secret_count\":2}",
            HEAD + one + "],\"secret_count\":2}",
            HEAD + one);
    for (String doc : bad) {
      List<BackupSecret> seen = new ArrayList<>();

      assertThatThrownBy(() -> read(doc, seen))
          .as(doc)
          .isInstanceOf(KeyturnException.InvalidInput.class)
          .hasMessageStartingWith("the backup is not valid")
          .message()
          .doesNotContain("secret\"")
          .doesNotContain("-secret");
      seen.forEach(BackupSecret::destroy);
    }
  }
}
