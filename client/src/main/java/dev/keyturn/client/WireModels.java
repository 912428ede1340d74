package dev.keyturn.client;

import dev.keyturn.api.KeyringEntry;
import dev.keyturn.api.KeyringResponse;
import dev.keyturn.api.SecretListResponse;
import dev.keyturn.api.SecretValueResponse;
import dev.keyturn.api.VersionEvent;
import dev.keyturn.api.WriteResponse;
import dev.keyturn.client.internal.ValueJson;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/** Maps wire records ({@code dev.keyturn.api}) to the SDK's own types, in one place. */
final class WireModels {
  private WireModels() {}

  static SecretValue value(SecretValueResponse r) {
    SecretValue.Builder b = SecretValue.builder(r.name(), r.version(), Stage.fromWire(r.stage()));
    time(r.createdAt()).ifPresent(b::createdAt);
    return fill(b, r.value()).build();
  }

  static Keyring keyring(KeyringResponse r) {
    List<SecretValue> members = new ArrayList<>();
    for (KeyringEntry e : r.versions() == null ? List.<KeyringEntry>of() : r.versions()) {
      SecretValue.Builder b = SecretValue.builder(r.name(), e.version(), Stage.fromWire(e.stage()));
      time(e.acceptUntil()).ifPresent(b::acceptUntil);
      members.add(fill(b, e.value()).build());
    }
    try {
      return Keyring.of(r.name(), members);
    } catch (IllegalArgumentException e) {
      throw invalid();
    }
  }

  static WriteResult written(WriteResponse r) {
    return new WriteResult(
        r.name(), r.version(), Stage.fromWire(r.stage()), time(r.createdAt()), r.warnings());
  }

  static SecretPage page(SecretListResponse r) {
    List<SecretInfo> rows =
        (r.secrets() == null ? List.<dev.keyturn.api.SecretSummary>of() : r.secrets())
            .stream()
                .map(s ->
                    new SecretInfo(
                        s.name(),
                        Optional.ofNullable(s.currentVersion()),
                        s.versionCount(),
                        time(s.updatedAt())))
                .toList();
    return new SecretPage(rows, Optional.ofNullable(r.nextPageToken()));
  }

  static SecretChange change(VersionEvent e) {
    return new SecretChange(e.name(), e.version(), Stage.fromWire(e.stage()), time(e.at()));
  }

  private static SecretValue.Builder fill(SecretValue.Builder b, JsonNode value) {
    if (value != null && value.isString()) {
      return b.text(value.stringValue());
    }
    if (value != null && value.isObject()) {
      return b.json(new String(ValueJson.compact(value), StandardCharsets.UTF_8));
    }
    throw invalid();
  }

  private static Optional<Instant> time(String text) {
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(text));
    } catch (DateTimeParseException e) {
      throw invalid();
    }
  }

  private static KeyturnClientException invalid() {
    return new KeyturnClientException(
        0, "invalid_response", "the server's answer is not what this client expects");
  }
}
