package dev.keyturn.core.spi;

import static java.util.Objects.requireNonNull;

import java.util.HexFormat;

/**
 * An audit event as stored: its place in the chain ({@code seq}, from 1), the id of the key that
 * sealed it, and its MAC over the previous record's MAC and this record's fields.
 */
public record AuditRecord(long seq, AuditEvent event, String keyId, byte[] mac) {
  public AuditRecord {
    requireNonNull(event, "event");
    requireNonNull(keyId, "keyId");
    requireNonNull(mac, "mac");
  }

  public String macHex() {
    return HexFormat.of().formatHex(mac);
  }
}
