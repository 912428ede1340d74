package dev.keyturn.api;

import java.util.List;

/**
 * Answer of {@code GET /v1/hygiene?prefix=P}: for each secret at or below {@code prefix} that the
 * token may read and that has a current version, in name order, the ids of the hygiene checks that
 * version fails (docs/doctor.md; empty when none) and the other secrets of this answer whose
 * current value is the same. Never a value, a fingerprint or anything derived from a value beyond
 * the check ids.
 */
public record HygieneResponse(String prefix, int checked, List<HygieneRow> secrets) {
  public HygieneResponse {
    secrets = List.copyOf(secrets);
  }

  /** One secret checked: its current version, failed checks, and equal secrets. */
  public record HygieneRow(String name, int version, List<String> checks, List<String> sameAs) {
    public HygieneRow {
      checks = List.copyOf(checks);
      sameAs = List.copyOf(sameAs);
    }
  }
}
