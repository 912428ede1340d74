package dev.keyturn.backup;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RuleCodec;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Stage;
import dev.keyturn.core.Version;
import dev.keyturn.core.spi.RotationStore;
import dev.keyturn.core.spi.StoredSecret;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import tools.jackson.core.JsonGenerator;

/**
 * Writes a backup document (see {@link BackupDocument}) as a stream: the secrets under a prefix are
 * listed first ({@link #snapshot}, metadata only, so that the caller can audit exactly what will be
 * read; or a page at a time, each audited before it is written), then each version is decrypted,
 * written and forgotten, one at a time. Nothing is buffered whole; where the stream goes (an HTTP
 * answer, an OpenPGP encrypting stream) is the caller's choice. Thread-safe.
 */
public final class BackupWriter {
  private static final int BATCH = 1000;

  private final SecretService service;
  private final RotationStore rules;

  public BackupWriter(SecretService service, RotationStore rules) {
    this.service = requireNonNull(service, "service");
    this.rules = requireNonNull(rules, "rules");
  }

  /** One secret as the backup will hold it: its metadata and the versions to include. */
  public record Entry(StoredSecret secret, List<Version> versions) {
    public Entry {
      requireNonNull(secret, "secret");
      versions = List.copyOf(versions);
    }

    public SecretName name() {
      return secret.name();
    }
  }

  /**
   * The prefix as a folder: empty (everything) or a canonical secret name, whose descendants are
   * backed up (not a secret of that name itself: admin on the folder does not cover it).
   *
   * @throws KeyturnException.InvalidInput if it is neither
   */
  public static String folder(String prefix) {
    requireNonNull(prefix, "prefix");
    String trimmed = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    return trimmed.isEmpty() ? "" : SecretName.of(trimmed).value();
  }

  /** Whether {@code name} is {@code folder} itself or lies below it (every name for ""). */
  public static boolean within(String name, String folder) {
    return folder.isEmpty()
        || name.equals(folder)
        || (name.startsWith(folder) && name.charAt(folder.length()) == '/');
  }

  /**
   * The secrets below {@code folder} (every one for ""), with their non-retired versions at {@code
   * now} (previous versions whose grace ended count as retired, but those a live consumer still
   * uses: the server still serves them), in name order; secrets with none are left out.
   */
  public List<Entry> snapshot(String folder, Instant now) {
    List<Entry> entries = new ArrayList<>();
    pages(folder, now, entries::addAll);
    return entries;
  }

  /** The snapshot of {@link #snapshot}, a page (up to 1,000 secrets) at a time, in name order. */
  private void pages(String folder, Instant now, Consumer<List<Entry>> each) {
    Optional<String> after = Optional.empty();
    while (true) {
      List<StoredSecret> batch = service.list(folder, after, BATCH);
      List<Entry> page = new ArrayList<>(batch.size());
      for (StoredSecret s : batch) {
        if (!folder.isEmpty() && !s.name().value().startsWith(folder + "/")) {
          continue;
        }
        // A previous version past its grace that a live consumer still uses is still served.
        Set<Integer> held =
            s.versions().anyExpired(now) ? service.holds(s.name()).held() : Set.of();
        List<Version> live =
            s.versions().expire(now, held).versions().stream()
                .filter(v -> v.stage() != Stage.RETIRED)
                .toList();
        if (!live.isEmpty() && s.wrappedDataKey().isPresent()) {
          page.add(new Entry(s, live));
        }
      }
      if (!page.isEmpty()) {
        each.accept(page);
      }
      if (batch.size() < BATCH) {
        return;
      }
      after = Optional.of(batch.get(batch.size() - 1).name().value());
    }
  }

  /**
   * Writes the document of the secrets below {@code folder} (every one for "") to {@code out} (left
   * open) without holding their list: a page is listed as {@link #snapshot} would list it, handed
   * to {@code beforePage} (which audits the reads it will make; if it throws, nothing of the page
   * is written and the document stays unfinished), then written, one value at a time.
   *
   * @throws KeyturnException.NotFound if a version was destroyed after its page was listed; the
   *     document is then left unfinished, which every reader refuses
   */
  public void write(
      OutputStream out,
      BackupDocument.Header header,
      String folder,
      Instant now,
      Consumer<List<Entry>> beforePage) {
    requireNonNull(out, "out");
    requireNonNull(header, "header");
    requireNonNull(beforePage, "beforePage");
    try (JsonGenerator json = BackupJson.MAPPER.createGenerator(out)) {
      start(json, header);
      int[] count = {0};
      pages(
          folder,
          now,
          page -> {
            beforePage.accept(page);
            // One query for the page's rules, not one per secret.
            Map<SecretName, RotationStore.RuleEntry> pageRules =
                rules.rules(page.stream().map(Entry::name).toList());
            for (Entry entry : page) {
              secret(json, entry, Optional.ofNullable(pageRules.get(entry.name())));
            }
            count[0] += page.size();
          });
      end(json, count[0]);
    }
  }

  /**
   * Writes the document for {@code entries} to {@code out} (left open).
   *
   * @throws KeyturnException.NotFound if a version was destroyed after the snapshot; the document
   *     is then left unfinished, which every reader refuses
   */
  public void write(OutputStream out, BackupDocument.Header header, List<Entry> entries) {
    requireNonNull(out, "out");
    requireNonNull(header, "header");
    try (JsonGenerator json = BackupJson.MAPPER.createGenerator(out)) {
      start(json, header);
      for (Entry entry : entries) {
        secret(json, entry, rules.rule(entry.name()));
      }
      end(json, entries.size());
    }
  }

  /**
   * The document of {@code secrets} already read (one file per secret of {@code backup create
   * --each}), in memory; the caller zeroes it.
   */
  public static byte[] document(BackupDocument.Header header, List<BackupSecret> secrets) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (JsonGenerator json = BackupJson.MAPPER.createGenerator(out)) {
      start(json, header);
      for (BackupSecret secret : secrets) {
        json.writeStartObject();
        json.writeStringProperty("name", secret.name().value());
        json.writeName("rule");
        if (secret.rule().isPresent()) {
          json.writePOJO(secret.rule().get());
        } else {
          json.writeNull();
        }
        json.writeName("versions");
        json.writeStartArray();
        for (BackupVersion v : secret.versions()) {
          byte[] bytes = v.value().reveal();
          try {
            version(json, v.metadata(), bytes);
          } finally {
            Arrays.fill(bytes, (byte) 0);
          }
        }
        json.writeEndArray();
        json.writeEndObject();
      }
      end(json, secrets.size());
    }
    return out.toByteArray();
  }

  private static void end(JsonGenerator json, int count) {
    json.writeEndArray();
    json.writeNumberProperty("secret_count", count);
    json.writeEndObject();
  }

  private static void start(JsonGenerator json, BackupDocument.Header header) {
    {
      json.writeStartObject();
      json.writeStringProperty("format", BackupDocument.FORMAT);
      json.writeNumberProperty("format_version", BackupDocument.VERSION);
      json.writeStringProperty("created_at", header.createdAt().toString());
      json.writeStringProperty("server_id", header.serverId());
      json.writeStringProperty("root_key_id", header.rootKeyId());
      json.writeName("audit_checkpoint");
      if (header.auditCheckpoint().isPresent()) {
        json.writeString(header.auditCheckpoint().get());
      } else {
        json.writeNull();
      }
      json.writeStringProperty("prefix", header.prefix());
      json.writeName("secrets");
      json.writeStartArray();
    }
  }

  private static void version(JsonGenerator json, Version v, byte[] bytes) {
    json.writeStartObject();
    json.writeNumberProperty("version", v.number());
    json.writeStringProperty("stage", v.stage().wireName());
    json.writeStringProperty("type", v.type().wireName());
    json.writeStringProperty("created_at", BackupTimes.format(v.createdAt()));
    json.writeStringProperty("created_by", v.createdBy());
    json.writeName("accept_until");
    if (v.acceptUntil().isPresent()) {
      json.writeString(BackupTimes.format(v.acceptUntil().get()));
    } else {
      json.writeNull();
    }
    json.writeName("value");
    json.writeString(new String(bytes, StandardCharsets.UTF_8));
    json.writeStringProperty("sha256", HexFormat.of().formatHex(BackupDocument.sha256(bytes)));
    json.writeEndObject();
  }

  private void secret(JsonGenerator json, Entry entry, Optional<RotationStore.RuleEntry> stored) {
    json.writeStartObject();
    json.writeStringProperty("name", entry.name().value());
    json.writeName("rule");
    Optional<Map<String, Object>> rule = stored.map(r -> RuleCodec.toDocument(r.rule()));
    if (rule.isPresent()) {
      json.writePOJO(rule.get());
    } else {
      json.writeNull();
    }
    json.writeName("versions");
    json.writeStartArray();
    for (Version v : entry.versions()) {
      SecretValue value = service.open(entry.secret(), v);
      byte[] bytes = value.plaintext().reveal();
      try {
        version(json, v, bytes);
      } finally {
        Arrays.fill(bytes, (byte) 0);
        value.plaintext().destroy();
      }
    }
    json.writeEndArray();
    json.writeEndObject();
  }
}
