package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.RestoreResponse;
import dev.keyturn.api.RestoreStep;
import dev.keyturn.backup.BackupDocument;
import dev.keyturn.backup.BackupSecret;
import dev.keyturn.backup.BackupWriter;
import dev.keyturn.backup.Restorer;
import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.spi.AuditEvent;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/backups} streams the backup document of a folder (docs/backup.md): the secrets
 * are listed first and each one is audited as a read of the versions the document will hold; once
 * those records are durable the values are decrypted and written one at a time, on a thread of the
 * stream's own. The caller encrypts what it receives (the server never sees its passphrase), so the
 * document is in the clear only on the wire, as every read is. {@code POST /v1/restores} takes a
 * document, checks all of it and the caller's {@code admin} on every name in it before writing
 * anything, and then restores it one secret per transaction ({@link Restorer}).
 */
final class BackupsApi {
  private static final Logger log = LoggerFactory.getLogger(BackupsApi.class);

  /** The largest restore body: bigger backups are restored in parts with {@code prefix}. */
  static final long MAX_RESTORE_BODY = 512L * 1024 * 1024;

  /** How many secrets one restore writes at a time. */
  private static final int APPLY_THREADS = 8;

  private final BackupWriter writer;
  private final Restorer restorer;
  private final Supplier<BackupDocument.Header> header;
  private final Clock clock;

  /**
   * @param header the server's id, root key id and audit head for a new backup of the given prefix
   *     (its creation time and prefix are replaced)
   */
  BackupsApi(
      BackupWriter writer, Restorer restorer, Supplier<BackupDocument.Header> header, Clock clock) {
    this.writer = requireNonNull(writer, "writer");
    this.restorer = requireNonNull(restorer, "restorer");
    this.header = requireNonNull(header, "header");
    this.clock = requireNonNull(clock, "clock");
  }

  Streamed backup(Exchange ex) {
    String folder = folder(ex.query("prefix").orElse(""));
    List<BackupWriter.Entry> entries = writer.snapshot(folder, clock.instant());
    int versions = 0;
    for (BackupWriter.Entry e : entries) {
      versions += e.versions().size();
      ex.reads.add(
          new Exchange.Read(
              e.name(),
              e.versions().get(e.versions().size() - 1).number(),
              "backup versions "
                  + e.versions().stream()
                      .map(v -> String.valueOf(v.number()))
                      .collect(Collectors.joining(","))));
    }
    ex.detail = "prefix=" + folder + " secrets=" + entries.size() + " versions=" + versions;
    BackupDocument.Header base = header.get();
    BackupDocument.Header made =
        new BackupDocument.Header(
            clock.instant(), base.serverId(), base.rootKeyId(), base.auditCheckpoint(), folder);
    return new Streamed() {
      @Override
      public void start(Request request, Response response, Callback callback) {
        if (request.getAttribute(ClientLimit.RELEASE) instanceof Runnable release) {
          release.run();
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        // Never on the thread that completed the audit append: the stream takes its time.
        Thread.ofVirtual()
            .name("backup-stream")
            .start(() -> {
              try (OutputStream out = Content.Sink.asOutputStream(response)) {
                writer.write(out, made, entries);
                callback.succeeded();
              } catch (Throwable e) {
                // The document stays unfinished, which every reader refuses.
                log.warn("backup stream of '{}' ended early: {}", folder, SafeFailure.of(e));
                callback.failed(e);
              }
            });
      }

      @Override
      public void abandon() {}
    };
  }

  RestoreResponse restore(Exchange ex) {
    boolean dryRun = ex.flag("dry_run");
    boolean asCurrent = ex.flag("as_current");
    Duration grace = ex.query("grace").map(g -> Durations.parse(g)).orElse(Duration.ofHours(24));
    if (grace.isNegative() || grace.isZero()) {
      throw HttpError.badRequest("grace must be positive: the present value stays as previous");
    }
    BackupDocument backup = restoreDocument(ex);
    List<BackupSecret> selected = restoreSelection(ex);
    try {
      List<Restorer.Step> plan = restorer.plan(backup, selected, asCurrent);
      Map<SecretName, BackupSecret> byName = new HashMap<>();
      selected.forEach(s -> byName.put(s.name(), s));
      List<RestoreStep> steps = new ArrayList<>(plan.size());
      int[] counts = new int[Restorer.Action.values().length];
      List<java.util.concurrent.Future<Boolean>> applied = new ArrayList<>(plan.size());
      // Secrets are restored side by side, each in its own transaction: concurrent commits share
      // the store's group commit (one fsync for many) instead of paying one each in a row.
      try (java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(
              APPLY_THREADS, Thread.ofVirtual().name("restore-", 0).factory())) {
        for (Restorer.Step step : plan) {
          counts[step.action().ordinal()]++;
          if (dryRun || !step.action().writes()) {
            applied.add(java.util.concurrent.CompletableFuture.completedFuture(false));
            continue;
          }
          applied.add(
              pool.submit(() -> {
                restorer.apply(
                    step,
                    byName.get(step.name()),
                    grace,
                    ex.caller.tokenId(),
                    (s, newest) -> List.of(record(ex, s, newest, backup)));
                return true;
              }));
        }
      }
      for (int i = 0; i < plan.size(); i++) {
        Restorer.Step step = plan.get(i);
        boolean done;
        String detail = step.detail();
        try {
          done = applied.get(i).get();
        } catch (java.util.concurrent.ExecutionException e) {
          if (!(e.getCause() instanceof KeyturnException.Conflict conflict)) {
            throw e.getCause() instanceof RuntimeException r
                ? r
                : new IllegalStateException("restore of " + step.name() + " failed", e.getCause());
          }
          // Created or changed since the plan: left as it is, and said so.
          done = false;
          detail = detail + "; not restored: " + conflict.getMessage();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new KeyturnException.Unavailable("the restore was interrupted", e);
        }
        steps.add(new RestoreStep(step.name().value(), step.action().wireName(), detail, done));
      }
      ex.detail =
          (dryRun ? "dry-run " : "")
              + "backup="
              + backup.header().createdAt()
              + " secrets="
              + plan.size()
              + " created="
              + counts[Restorer.Action.CREATE.ordinal()]
              + " as_current="
              + counts[Restorer.Action.AS_CURRENT.ordinal()]
              + " changed="
              + counts[Restorer.Action.CHANGED.ordinal()];
      return new RestoreResponse(
          backup.header().createdAt().toString(),
          dryRun,
          counts[Restorer.Action.CREATE.ordinal()],
          counts[Restorer.Action.UNCHANGED.ordinal()],
          counts[Restorer.Action.CHANGED.ordinal()],
          counts[Restorer.Action.AS_CURRENT.ordinal()],
          steps);
    } finally {
      backup.destroy();
    }
  }

  private AuditEvent record(Exchange ex, Restorer.Step step, int newest, BackupDocument backup) {
    return new AuditEvent(
        clock.instant(),
        ex.caller.tokenId(),
        ex.client,
        "secret.restore",
        Optional.of(step.name().value()),
        Optional.of(newest),
        "ok",
        step.action().wireName() + " from backup " + backup.header().createdAt());
  }

  private static BackupDocument restoreDocument(Exchange ex) {
    return ex.parsedBody(MAX_RESTORE_BODY, BackupDocument.class, BackupDocument::parse);
  }

  /** The secrets a restore request would touch: those of its document below its ?prefix=. */
  static List<BackupSecret> restoreSelection(Exchange ex) {
    String folder = folder(ex.query("prefix").orElse(""));
    return Restorer.selected(restoreDocument(ex), folder);
  }

  private static String folder(String raw) {
    try {
      return BackupWriter.folder(raw);
    } catch (KeyturnException.InvalidInput e) {
      throw HttpError.badRequest(
          "prefix must be empty or a canonical secret name: " + e.getMessage());
    }
  }
}
