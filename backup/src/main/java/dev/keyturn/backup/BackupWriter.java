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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Function;
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
    Page page = page(folder, now, Optional.empty());
    while (true) {
      if (!page.entries().isEmpty()) {
        each.accept(page.entries());
      }
      if (page.last()) {
        return;
      }
      page = page(folder, now, page.after());
    }
  }

  /**
   * A page of the snapshot: its entries (possibly none, when every secret listed has nothing to
   * back up), the name to list after for the next one, and whether it is the last.
   */
  private record Page(List<Entry> entries, Optional<String> after, boolean last) {}

  private Page page(String folder, Instant now, Optional<String> after) {
    List<StoredSecret> batch = service.list(folder, after, BATCH);
    List<Entry> page = new ArrayList<>(batch.size());
    for (StoredSecret s : batch) {
      if (!folder.isEmpty() && !s.name().value().startsWith(folder + "/")) {
        continue;
      }
      // A previous version past its grace that a live consumer still uses is still served.
      Set<Integer> held = s.versions().anyExpired(now) ? service.holds(s.name()).held() : Set.of();
      List<Version> live =
          s.versions().expire(now, held).versions().stream()
              .filter(v -> v.stage() != Stage.RETIRED)
              .toList();
      if (!live.isEmpty() && s.wrappedDataKey().isPresent()) {
        page.add(new Entry(s, live));
      }
    }
    return new Page(
        page,
        batch.isEmpty() ? after : Optional.of(batch.get(batch.size() - 1).name().value()),
        batch.size() < BATCH);
  }

  /**
   * Writes the document of the secrets below {@code folder} (every one for "") to {@code out} (left
   * open) without holding their list: a page is listed as {@link #snapshot} would list it and
   * handed to {@code auditPage}, which starts writing the records of the reads it will make; the
   * page is written, one value at a time, only once those records are durable (the future
   * completed). The next page is listed and its records started while a page waits and is written,
   * so the audit log's commit overlaps the writing; if the stream breaks off, the records of at
   * most two pages name values that were not all sent. If a future fails, nothing more is written
   * and the document stays unfinished.
   *
   * @throws KeyturnException.NotFound if a version was destroyed after its page was listed; the
   *     document is then left unfinished, which every reader refuses
   */
  public void write(
      OutputStream out,
      BackupDocument.Header header,
      String folder,
      Instant now,
      Function<List<Entry>, CompletableFuture<Void>> auditPage) {
    requireNonNull(out, "out");
    requireNonNull(header, "header");
    requireNonNull(auditPage, "auditPage");
    try (JsonGenerator json = BackupJson.MAPPER.createGenerator(out)) {
      start(json, header);
      int count = 0;
      Page next = page(folder, now, Optional.empty());
      CompletableFuture<Void> nextAudited = audit(next, auditPage);
      while (next != null) {
        Page page = next;
        CompletableFuture<Void> audited = nextAudited;
        next = page.last() ? null : page(folder, now, page.after());
        nextAudited = next == null ? null : audit(next, auditPage);
        awaitDurable(audited);
        writePage(json, page.entries());
        count += page.entries().size();
      }
      end(json, count);
    }
  }

  private static CompletableFuture<Void> audit(
      Page page, Function<List<Entry>, CompletableFuture<Void>> auditPage) {
    return page.entries().isEmpty()
        ? CompletableFuture.completedFuture(null)
        : requireNonNull(auditPage.apply(page.entries()), "the audit's future");
  }

  private static void awaitDurable(CompletableFuture<Void> audited) {
    try {
      audited.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  /** A page's secrets: their rules in one query, their values opened together. */
  private void writePage(JsonGenerator json, List<Entry> page) {
    if (page.isEmpty()) {
      return;
    }
    Map<SecretName, RotationStore.RuleEntry> pageRules =
        rules.rules(page.stream().map(Entry::name).toList());
    service.openAll(
        page.stream().map(e -> Map.entry(e.secret(), e.versions())).toList(),
        (secret, values) ->
            secret(json, secret.name(), Optional.ofNullable(pageRules.get(secret.name())), values));
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
      for (int from = 0; from < entries.size(); from += BATCH) {
        writePage(json, entries.subList(from, Math.min(entries.size(), from + BATCH)));
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
    // Straight from the value's UTF-8 bytes (checked when it was stored), never a String of it.
    json.writeUTF8String(bytes, 0, bytes.length);
    json.writeStringProperty("sha256", HexFormat.of().formatHex(BackupDocument.sha256(bytes)));
    json.writeEndObject();
  }

  private static void secret(
      JsonGenerator json,
      SecretName name,
      Optional<RotationStore.RuleEntry> stored,
      List<SecretValue> values) {
    json.writeStartObject();
    json.writeStringProperty("name", name.value());
    json.writeName("rule");
    Optional<Map<String, Object>> rule = stored.map(r -> RuleCodec.toDocument(r.rule()));
    if (rule.isPresent()) {
      json.writePOJO(rule.get());
    } else {
      json.writeNull();
    }
    json.writeName("versions");
    json.writeStartArray();
    for (SecretValue value : values) {
      byte[] bytes = value.plaintext().reveal();
      try {
        version(json, value.version(), bytes);
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }
    json.writeEndArray();
    json.writeEndObject();
  }
}
