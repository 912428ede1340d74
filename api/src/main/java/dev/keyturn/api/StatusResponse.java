package dev.keyturn.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * {@code GET /v1/status?prefix=}: one row per secret, and the answering server's scheduled backups
 * ({@code backups}; null when it writes none). A page ({@code ?after=}, {@code ?limit=} or {@code
 * ?tree=true}) also has {@code next} (the name to give as {@code after} for the next page; left out
 * on the last), {@code total} (the rows of the whole listing) and, with {@code tree}, {@code
 * folders} (the folders one level below the prefix); each is left out of the whole board.
 */
public record StatusResponse(
    List<StatusRow> secrets,
    BackupScheduleStatus backups,
    @JsonInclude(JsonInclude.Include.NON_NULL) String next,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer total,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<StatusFolder> folders) {

  /** A board without scheduled backups. */
  public StatusResponse(List<StatusRow> secrets) {
    this(secrets, null);
  }

  /** The whole board. */
  public StatusResponse(List<StatusRow> secrets, BackupScheduleStatus backups) {
    this(secrets, backups, null, null, null);
  }
}
