package dev.keyturn.api;

import java.util.List;

/**
 * What a write returns: the version it made or moved, and its stage now. {@code warnings} holds the
 * ids of the hygiene checks a stored value failed without being refused (a weak value; see
 * docs/doctor.md), never the value; absent when there are none.
 */
public record WriteResponse(
    String name,
    int version,
    String stage,
    String createdAt,
    String acceptUntil,
    List<String> warnings) {

  public WriteResponse {
    warnings = warnings == null ? List.of() : List.copyOf(warnings);
  }

  public WriteResponse(
      String name, int version, String stage, String createdAt, String acceptUntil) {
    this(name, version, stage, createdAt, acceptUntil, List.of());
  }
}
