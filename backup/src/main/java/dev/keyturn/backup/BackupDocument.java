package dev.keyturn.backup;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A backup's content, read from its JSON document (format {@value #FORMAT}, version {@value
 * #VERSION}; docs/backup.md describes every field) and checked whole: well-formed, no unknown or
 * missing field, canonical and unique names under the backup's prefix, valid stages (one current,
 * at most one pending, no retired version, {@code accept_until} on previous versions only), every
 * value non-empty UTF-8 text (a JSON object for type {@code json}) whose SHA-256 matches the one
 * recorded, and the secret count at the end. A document that fails any check is refused whole
 * ({@link KeyturnException.InvalidInput}, naming the secret and version, never a value).
 */
public final class BackupDocument {
  public static final String FORMAT = "keyturn-backup";
  public static final int VERSION = 1;

  static final Set<String> TOP =
      Set.of(
          "format",
          "format_version",
          "created_at",
          "server_id",
          "root_key_id",
          "audit_checkpoint",
          "prefix",
          "secrets",
          "secret_count");
  static final Set<String> SECRET = Set.of("name", "rule", "versions");
  static final Set<String> VERSION_FIELDS =
      Set.of(
          "version",
          "stage",
          "type",
          "created_at",
          "created_by",
          "accept_until",
          "value",
          "sha256");

  private static final MessageDigest SHA256;

  static {
    try {
      SHA256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** What a backup says about where and when it was made. */
  public record Header(
      Instant createdAt,
      String serverId,
      String rootKeyId,
      Optional<String> auditCheckpoint,
      String prefix) {
    public Header {
      requireNonNull(createdAt, "createdAt");
      requireNonNull(serverId, "serverId");
      requireNonNull(rootKeyId, "rootKeyId");
      requireNonNull(auditCheckpoint, "auditCheckpoint");
      requireNonNull(prefix, "prefix");
    }
  }

  private final Header header;
  private final List<BackupSecret> secrets;

  public BackupDocument(Header header, List<BackupSecret> secrets) {
    this.header = requireNonNull(header, "header");
    this.secrets = List.copyOf(secrets);
  }

  public Header header() {
    return header;
  }

  public List<BackupSecret> secrets() {
    return secrets;
  }

  /** The number of versions held. */
  public int versionCount() {
    return secrets.stream().mapToInt(s -> s.versions().size()).sum();
  }

  /** Zeroes every value held. */
  public void destroy() {
    secrets.forEach(BackupSecret::destroy);
  }

  /**
   * Reads and checks a document (the plaintext of a backup file) with {@link BackupReader}, holding
   * every secret; a caller that need not hold them all reads with {@link BackupReader} itself.
   *
   * @throws KeyturnException.InvalidInput naming the first thing wrong
   */
  public static BackupDocument parse(byte[] json) {
    requireNonNull(json, "json");
    List<BackupSecret> secrets = new ArrayList<>();
    try {
      BackupReader.Summary summary =
          BackupReader.read(new java.io.ByteArrayInputStream(json), secrets::add);
      return new BackupDocument(summary.header(), secrets);
    } catch (RuntimeException e) {
      secrets.forEach(BackupSecret::destroy);
      throw e;
    }
  }

  /** The SHA-256 of {@code bytes}, as the document records it (lower-case hex). */
  static byte[] sha256(byte[] bytes) {
    try {
      // A copy of an unused digest: cheaper than looking the provider up for every value.
      return ((MessageDigest) SHA256.clone()).digest(bytes);
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("the JDK's SHA-256 cannot be copied", e);
    }
  }
}
