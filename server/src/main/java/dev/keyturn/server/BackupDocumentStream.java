package dev.keyturn.server;

/**
 * Stands in the route table for a backup document (docs/backup.md), sent or received as one JSON
 * stream rather than as a record; {@link OpenApi} describes it as a JSON object.
 */
final class BackupDocumentStream {
  private BackupDocumentStream() {}
}
