package dev.keyturn.backup;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.Version;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

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

  private static final Set<String> TOP =
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
  private static final Set<String> SECRET = Set.of("name", "rule", "versions");
  private static final Set<String> VERSION_FIELDS =
      Set.of(
          "version",
          "stage",
          "type",
          "created_at",
          "created_by",
          "accept_until",
          "value",
          "sha256");

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
   * Reads and checks a document (the plaintext of a backup file).
   *
   * @throws KeyturnException.InvalidInput naming the first thing wrong
   */
  public static BackupDocument parse(byte[] json) {
    requireNonNull(json, "json");
    JsonNode root;
    try {
      root = BackupJson.MAPPER.readTree(json);
    } catch (JacksonException e) {
      throw invalid("it is not well-formed JSON (truncated?)");
    }
    if (root == null || !root.isObject()) {
      throw invalid("it is not a JSON object");
    }
    fields(root, TOP, "the document");
    if (!FORMAT.equals(text(root, "format", "the document"))) {
      throw invalid("format is not " + FORMAT);
    }
    JsonNode version = root.get("format_version");
    if (!version.isInt() || version.intValue() != VERSION) {
      throw invalid(
          "format_version "
              + version
              + " is not one this Keyturn reads ("
              + VERSION
              + "); use a newer Keyturn");
    }
    String prefix = text(root, "prefix", "the document");
    if (!prefix.isEmpty()) {
      prefix = name(prefix, "prefix").value();
    }
    JsonNode checkpoint = root.get("audit_checkpoint");
    Header header =
        new Header(
            time(root, "created_at", "the document"),
            text(root, "server_id", "the document"),
            text(root, "root_key_id", "the document"),
            checkpoint.isNull()
                ? Optional.empty()
                : Optional.of(text(root, "audit_checkpoint", "the document")),
            prefix);
    JsonNode list = root.get("secrets");
    if (!list.isArray()) {
      throw invalid("secrets is not a list");
    }
    JsonNode count = root.get("secret_count");
    if (!count.isInt() || count.intValue() != list.size()) {
      throw invalid("secret_count does not match the secrets listed (truncated?)");
    }
    List<BackupSecret> secrets = new ArrayList<>(list.size());
    Set<SecretName> seen = new HashSet<>();
    try {
      for (JsonNode node : list) {
        BackupSecret secret = secret(node);
        if (!prefix.isEmpty() && !secret.name().value().startsWith(prefix + "/")) {
          throw invalid(secret.name() + " lies outside the backup's prefix '" + prefix + "'");
        }
        if (!seen.add(secret.name())) {
          throw invalid(secret.name() + " is listed twice");
        }
        secrets.add(secret);
      }
    } catch (RuntimeException e) {
      secrets.forEach(BackupSecret::destroy);
      throw e;
    }
    return new BackupDocument(header, secrets);
  }

  private static BackupSecret secret(JsonNode node) {
    if (!node.isObject()) {
      throw invalid("a secret is not a JSON object");
    }
    fields(node, SECRET, "a secret");
    SecretName name = name(text(node, "name", "a secret"), "name");
    JsonNode ruleNode = node.get("rule");
    Optional<Map<String, Object>> rule = Optional.empty();
    if (!ruleNode.isNull()) {
      if (!ruleNode.isObject()) {
        throw invalid(name + ": rule is not a JSON object");
      }
      rule = Optional.of(BackupJson.MAPPER.convertValue(ruleNode, BackupJson.MAP));
    }
    JsonNode versionsNode = node.get("versions");
    if (!versionsNode.isArray() || versionsNode.isEmpty()) {
      throw invalid(name + ": versions is not a non-empty list");
    }
    List<BackupVersion> versions = new ArrayList<>();
    try {
      int last = 0;
      int current = 0;
      int pending = 0;
      for (JsonNode v : versionsNode) {
        BackupVersion version = version(name, v);
        versions.add(version);
        Version m = version.metadata();
        if (m.number() <= last) {
          throw invalid(name + "#" + m.number() + ": versions are not in increasing order");
        }
        last = m.number();
        current += m.stage() == Stage.CURRENT ? 1 : 0;
        pending += m.stage() == Stage.PENDING ? 1 : 0;
      }
      if (current > 1 || pending > 1) {
        throw invalid(name + ": more than one current or pending version");
      }
    } catch (RuntimeException e) {
      versions.forEach(v -> v.value().destroy());
      throw e;
    }
    return new BackupSecret(name, rule, versions);
  }

  private static BackupVersion version(SecretName name, JsonNode node) {
    if (!node.isObject()) {
      throw invalid(name + ": a version is not a JSON object");
    }
    JsonNode numberNode = node.get("version");
    if (numberNode == null || !numberNode.isInt() || numberNode.intValue() < 1) {
      throw invalid(name + ": a version number is not a positive integer");
    }
    int number = numberNode.intValue();
    String label = name + "#" + number;
    fields(node, VERSION_FIELDS, label);
    Stage stage;
    ValueType type;
    try {
      stage = Stage.fromWire(text(node, "stage", label));
      type = ValueType.fromWire(text(node, "type", label));
    } catch (KeyturnException.InvalidInput e) {
      throw invalid(label + ": unknown stage or type");
    }
    if (stage == Stage.RETIRED) {
      throw invalid(label + ": a backup holds no retired version");
    }
    Optional<Instant> acceptUntil =
        node.get("accept_until").isNull()
            ? Optional.empty()
            : Optional.of(time(node, "accept_until", label));
    if (acceptUntil.isPresent() && stage != Stage.PREVIOUS) {
      throw invalid(label + ": only a previous version has accept_until");
    }
    String value = text(node, "value", label);
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    try {
      if (bytes.length == 0 || bytes.length > SecretService.MAX_VALUE_BYTES) {
        throw invalid(label + ": the value is empty or too large");
      }
      String recorded = text(node, "sha256", label);
      if (!MessageDigest.isEqual(
          HexFormat.of().formatHex(sha256(bytes)).getBytes(StandardCharsets.US_ASCII),
          recorded.getBytes(StandardCharsets.US_ASCII))) {
        throw invalid(label + ": the value does not match its SHA-256");
      }
      if (type == ValueType.JSON && !isJsonObject(value)) {
        throw invalid(label + ": type json, but the value is not a JSON object");
      }
      Version metadata =
          new Version(
              number,
              stage,
              type,
              time(node, "created_at", label),
              text(node, "created_by", label),
              acceptUntil,
              "");
      return new BackupVersion(metadata, Plaintext.wrap(bytes));
    } catch (RuntimeException e) {
      java.util.Arrays.fill(bytes, (byte) 0);
      throw e;
    }
  }

  /** The SHA-256 of {@code bytes}, as the document records it (lower-case hex). */
  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  private static boolean isJsonObject(String value) {
    try {
      JsonNode node = BackupJson.MAPPER.readTree(value);
      return node != null && node.isObject();
    } catch (JacksonException e) {
      return false;
    }
  }

  private static void fields(JsonNode node, Set<String> expected, String where) {
    for (String field : node.propertyNames()) {
      if (!expected.contains(field)) {
        throw invalid(where + " has an unknown field '" + printable(field) + "'");
      }
    }
    for (String field : expected) {
      if (!node.has(field)) {
        throw invalid(where + " lacks the field " + field);
      }
    }
  }

  private static String text(JsonNode node, String field, String where) {
    JsonNode value = node.get(field);
    if (value == null || !value.isString()) {
      throw invalid(where + ": " + field + " is not a string");
    }
    return value.stringValue();
  }

  private static Instant time(JsonNode node, String field, String where) {
    try {
      return Instant.parse(text(node, field, where));
    } catch (DateTimeParseException e) {
      throw invalid(where + ": " + field + " is not an RFC 3339 UTC time");
    }
  }

  private static SecretName name(String raw, String field) {
    try {
      return SecretName.of(raw);
    } catch (KeyturnException.InvalidInput e) {
      throw invalid(field + " is not a canonical secret name: " + e.getMessage());
    }
  }

  private static String printable(String text) {
    String cut = text.length() > 40 ? text.substring(0, 40) + "..." : text;
    return cut.replaceAll("[^A-Za-z0-9._/ -]", "?");
  }

  private static KeyturnException.InvalidInput invalid(String why) {
    return new KeyturnException.InvalidInput("the backup is not valid: " + why);
  }
}
