package dev.keyturn.api;

/**
 * The scheduled backups of the server answering {@code GET /v1/status}: the folder, interval and
 * how many are kept; {@code state} {@code ok}, {@code failing} (the last attempt failed) or {@code
 * pending} (none written yet); the last success (time and file name), the last failure (time and
 * reason, never a value), when the next one runs, and how many backups the folder holds.
 */
public record BackupScheduleStatus(
    String dir,
    String every,
    int keep,
    String state,
    String lastSuccess,
    String lastFile,
    String lastFailure,
    String lastError,
    String nextAt,
    int kept) {}
