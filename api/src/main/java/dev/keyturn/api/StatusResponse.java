package dev.keyturn.api;

import java.util.List;

/**
 * {@code GET /v1/status?prefix=}: one row per secret, and the answering server's scheduled backups
 * ({@code backups}; null when it writes none).
 */
public record StatusResponse(List<StatusRow> secrets, BackupScheduleStatus backups) {

  /** A board without scheduled backups. */
  public StatusResponse(List<StatusRow> secrets) {
    this(secrets, null);
  }
}
