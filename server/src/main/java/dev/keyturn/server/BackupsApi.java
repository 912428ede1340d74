package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.RestoreResponse;
import dev.keyturn.api.RestoreStep;
import dev.keyturn.backup.BackupDocument;
import dev.keyturn.backup.BackupReader;
import dev.keyturn.backup.BackupSecret;
import dev.keyturn.backup.BackupWriter;
import dev.keyturn.backup.Restorer;
import dev.keyturn.core.Durations;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RuleCodec;
import dev.keyturn.core.RuleService;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/backups} streams the backup document of a folder (docs/backup.md), a page of
 * secrets at a time on a thread of the stream's own: each page is listed, each version it will hold
 * is audited as a read of that version, and once those records are durable its values are decrypted
 * and written one at a time. The caller encrypts what it receives (the server never sees its
 * passphrase), so the document is in the clear only on the wire, as every read is. {@code POST
 * /v1/restores} takes a document, checks all of it and the caller's {@code admin} on every name in
 * it as it streams in (nothing is written before all of it is checked), then restores it, 64
 * secrets per transaction and none half-written ({@link Restorer}), and sets the rules of the
 * secrets it created. Over 400 lines: both routes share the document's reading, admission and
 * audit, and splitting them would split that.
 */
final class BackupsApi {
  private static final Logger log = LoggerFactory.getLogger(BackupsApi.class);

  /** The largest restore body: bigger backups are restored in parts with {@code prefix}. */
  static final long MAX_RESTORE_BODY = 512L * 1024 * 1024;

  /**
   * The most a restore holds of the secrets it restores: their values plus {@link #PER_VERSION}
   * bytes for each version's metadata (100,000 secrets of 64 bytes hold some 30 MiB).
   */
  static final long MAX_RESTORE_HELD = 48L * 1024 * 1024;

  private static final int PER_VERSION = 256;

  /** How many transactions one restore writes at a time. */
  private static final int APPLY_THREADS = 4;

  /** How many secrets one transaction of a restore writes. */
  private static final int BATCH = 64;

  private final BackupWriter writer;
  private final Restorer restorer;
  private final RuleService rules;
  private final AuditLog audit;
  private final Supplier<BackupDocument.Header> header;
  private final Clock clock;

  /**
   * @param header the server's id, root key id and audit head for a new backup of the given prefix
   *     (its creation time and prefix are replaced)
   */
  BackupsApi(
      BackupWriter writer,
      Restorer restorer,
      RuleService rules,
      AuditLog audit,
      Supplier<BackupDocument.Header> header,
      Clock clock) {
    this.audit = requireNonNull(audit, "audit");
    this.writer = requireNonNull(writer, "writer");
    this.restorer = requireNonNull(restorer, "restorer");
    this.rules = requireNonNull(rules, "rules");
    this.header = requireNonNull(header, "header");
    this.clock = requireNonNull(clock, "clock");
  }

  Streamed backup(Exchange ex) {
    String folder = folder(ex.query("prefix").orElse(""));
    ex.detail = "prefix=" + folder;
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
              String requestId = response.getHeaders().get(RequestIds.HEADER);
              try (OutputStream out = Content.Sink.asOutputStream(response)) {
                // Page by page: each page's reads are durable in the audit log before its first
                // value is written (DESIGN invariant 6), and two pages are held at a time (the
                // next one's records are written while this one is).
                writer.write(
                    out,
                    made,
                    folder,
                    made.createdAt(),
                    page -> audit.appendAsync(reads(ex, page, requestId)));
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

  /** One {@code secret.read} record per version a page of the backup holds. */
  private List<AuditEvent> reads(Exchange ex, List<BackupWriter.Entry> page, String requestId) {
    List<AuditEvent> events = new ArrayList<>();
    for (BackupWriter.Entry e : page) {
      for (dev.keyturn.core.Version v : e.versions()) {
        events.add(
            new AuditEvent(
                clock.instant(),
                ex.caller.tokenId(),
                ex.client,
                "secret.read",
                Optional.of(e.name().value()),
                Optional.of(v.number()),
                "ok",
                "backup request=" + requestId));
      }
    }
    return events;
  }

  RestoreResponse restore(Exchange ex) {
    boolean dryRun = ex.flag("dry_run");
    boolean asCurrent = ex.flag("as_current");
    boolean allowPlaceholder = ex.flag("allow_placeholder");
    boolean skipBadRules = ex.flag("skip_bad_rules");
    Duration grace = ex.query("grace").map(g -> Durations.parse(g)).orElse(Duration.ofHours(24));
    if (grace.isNegative() || grace.isZero()) {
      throw HttpError.badRequest("grace must be positive: the present value stays as previous");
    }
    // Read and admitted by the route's access requirement before this handler runs.
    Incoming backup = restoreDocument(ex, secret -> Requirements.admitRestored(ex, secret));
    List<BackupSecret> selected = backup.secrets();
    try {
      List<Restorer.Step> plan = restorer.plan(backup.header(), selected, asCurrent);
      // Checked for every secret before anything is written, as PUT /v1/secrets checks a value.
      List<String> allowed = new ArrayList<>();
      for (int i = 0; i < plan.size(); i++) {
        if (plan.get(i).action() == Restorer.Action.AS_CURRENT) {
          allowed.addAll(checkValue(selected.get(i), allowPlaceholder).allowedPlaceholders());
        }
      }
      String[] ruleNotes = new String[plan.size()];
      Map<Integer, RotationRule> restoring =
          rulesToRestore(plan, selected, skipBadRules, ruleNotes);
      int[] counts = new int[Restorer.Action.values().length];
      plan.forEach(step -> counts[step.action().ordinal()]++);
      String[] notDone = new String[plan.size()];
      int rulesSet = 0;
      if (!dryRun) {
        apply(ex, plan, selected, grace, backup, notDone, restoring.keySet());
        rulesSet = setRules(ex, restoring, selected, backup, notDone, ruleNotes);
      }
      List<RestoreStep> steps = new ArrayList<>(plan.size());
      for (int i = 0; i < plan.size(); i++) {
        Restorer.Step step = plan.get(i);
        boolean done = !dryRun && step.action().writes() && notDone[i] == null;
        String detail = notDone[i] == null ? step.detail() : step.detail() + "; " + notDone[i];
        if (ruleNotes[i] != null) {
          detail = detail + "; " + ruleNotes[i];
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
              + counts[Restorer.Action.CHANGED.ordinal()]
              + " rules="
              + (dryRun ? restoring.size() : rulesSet)
              + (allowed.isEmpty() ? "" : " placeholder allowed " + allowed);
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

  /**
   * Writes the plan's steps, {@link #BATCH} secrets to a transaction and several transactions side
   * by side, so that commits share the store's group commit. A batch that fails writes nothing; on
   * a conflict (a secret created or changed since the plan) its steps are retried one by one and
   * the ones that conflict are reported in {@code notDone} and left alone.
   */
  private void apply(
      Exchange ex,
      List<Restorer.Step> plan,
      List<BackupSecret> selected,
      Duration grace,
      Incoming backup,
      String[] notDone,
      java.util.Set<Integer> keep) {
    List<Integer> writing = new ArrayList<>();
    for (int i = 0; i < plan.size(); i++) {
      if (plan.get(i).action().writes()) {
        writing.add(i);
      }
    }
    java.util.function.BiFunction<Restorer.Step, Integer, List<AuditEvent>> records =
        (s, newest) -> List.of(record(ex, s, newest, backup));
    List<java.util.concurrent.Future<?>> batches = new ArrayList<>();
    try (java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(
            APPLY_THREADS, Thread.ofVirtual().name("restore-", 0).factory())) {
      for (int from = 0; from < writing.size(); from += BATCH) {
        List<Integer> batch = writing.subList(from, Math.min(writing.size(), from + BATCH));
        batches.add(
            pool.submit(() -> {
              List<Restorer.Step> steps = batch.stream().map(plan::get).toList();
              List<BackupSecret> secrets = batch.stream().map(selected::get).toList();
              try {
                restorer.applyTogether(steps, secrets, grace, ex.caller.tokenId(), records);
              } catch (KeyturnException.Conflict together) {
                for (int i : batch) {
                  try {
                    restorer.apply(
                        plan.get(i), selected.get(i), grace, ex.caller.tokenId(), records);
                  } catch (KeyturnException.Conflict conflict) {
                    // Created or changed since the plan: left as it is, and said so.
                    notDone[i] = "not restored: " + conflict.getMessage();
                  }
                }
              }
              // Written: its values are zeroed and let go, so a large restore holds less and less.
              for (int i : batch) {
                if (!keep.contains(i)) {
                  selected.get(i).destroy();
                  selected.set(i, null);
                }
              }
            }));
      }
    }
    for (java.util.concurrent.Future<?> batch : batches) {
      try {
        batch.get();
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r
            ? r
            : new IllegalStateException("the restore failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KeyturnException.Unavailable("the restore was interrupted", e);
      }
    }
  }

  /**
   * The rules that come back with the secrets the plan creates (docs/backup.md, "Rules"), by the
   * step's index, each checked as far as it can be before anything is written ({@link
   * RuleService#checkBeforeStoring}; the secrets it names count as present when the restore brings
   * them back). A rule that fails refuses the whole restore, unless {@code skipBadRules}: then its
   * secret is restored without it and the step says why.
   */
  private Map<Integer, RotationRule> rulesToRestore(
      List<Restorer.Step> plan, List<BackupSecret> selected, boolean skipBadRules, String[] notes) {
    Map<SecretName, Integer> index = new HashMap<>();
    for (int i = 0; i < plan.size(); i++) {
      index.put(plan.get(i).name(), i);
    }
    java.util.function.Predicate<SecretName> willHaveCurrent =
        name -> {
          Integer i = index.get(name);
          if (i != null
              && plan.get(i).action() != Restorer.Action.CHANGED
              && selected.get(i).current().isPresent()) {
            return true;
          }
          try {
            return restorer.hasCurrent(name);
          } catch (KeyturnException.NotFound e) {
            return false;
          }
        };
    Map<Integer, RotationRule> out = new java.util.TreeMap<>();
    for (int i = 0; i < plan.size(); i++) {
      BackupSecret secret = selected.get(i);
      if (plan.get(i).action() != Restorer.Action.CREATE || secret.rule().isEmpty()) {
        continue;
      }
      try {
        RotationRule rule = RuleCodec.fromDocument(secret.name(), secret.rule().get());
        if (secret.current().isEmpty()) {
          throw new KeyturnException.InvalidInput("the backup holds no current version of it");
        }
        rules.checkBeforeStoring(rule, willHaveCurrent);
        out.put(i, rule);
      } catch (KeyturnException.InvalidInput | IllegalArgumentException e) {
        if (!skipBadRules) {
          throw HttpError.badRequest(
              secret.name()
                  + ": its rule cannot be restored: "
                  + e.getMessage()
                  + " (nothing was written; skip_bad_rules restores the secret without it)");
        }
        notes[i] = "rule not restored: " + e.getMessage();
      }
    }
    return out;
  }

  /**
   * Sets each rule of {@code restoring} whose secret was written, as {@code rotation set} sets it
   * (the rest of its checks run now, against the stored value), each in its own transaction with
   * its {@code rule.set} record. The rule's schedule counts from when the backup says the current
   * version was made (its recorded last rotation, or the version's time, never later than now). A
   * rule that fails now is reported on its step and the others go on.
   *
   * @return how many rules were set
   */
  private int setRules(
      Exchange ex,
      Map<Integer, RotationRule> restoring,
      List<BackupSecret> selected,
      Incoming backup,
      String[] notDone,
      String[] notes) {
    int set = 0;
    for (Map.Entry<Integer, RotationRule> e : restoring.entrySet()) {
      int i = e.getKey();
      if (notDone[i] != null) {
        continue;
      }
      BackupSecret secret = selected.get(i);
      dev.keyturn.backup.BackupVersion current = secret.current().orElseThrow();
      java.time.Instant made =
          e.getValue()
              .lastRotated()
              .filter(l -> l.version() == current.metadata().number())
              .map(RotationRule.LastRotated::at)
              .orElse(current.metadata().createdAt());
      java.time.Instant now = clock.instant();
      // The document decides neither who set the rule nor where it may connect: the caller does.
      RotationRule rule =
          e.getValue().toBuilder()
              .setByGlobalAdmin(ex.caller.holdsAdminOnEverything())
              .lastRotated(Optional.empty())
              .build();
      try {
        rules.set(
            rule,
            Optional.of(made.isAfter(now) ? now : made),
            entry ->
                List.of(
                    new AuditEvent(
                        clock.instant(),
                        ex.caller.tokenId(),
                        ex.client,
                        "rule.set",
                        Optional.of(secret.name().value()),
                        Optional.empty(),
                        "ok",
                        "restored from backup " + backup.header().createdAt())));
        notes[i] = "rule restored";
        set++;
      } catch (KeyturnException.InvalidInput | KeyturnException.NotFound failed) {
        notes[i] = "rule not restored: " + failed.getMessage();
      }
    }
    return set;
  }

  /** The placeholder checks of PUT /v1/secrets on the value a step would make current. */
  private static PutChecks.Outcome checkValue(BackupSecret secret, boolean allowPlaceholder) {
    dev.keyturn.backup.BackupVersion current = secret.current().orElseThrow();
    if (current.metadata().type() == dev.keyturn.core.ValueType.JSON) {
      return PutChecks.json(
          secret.name(),
          dev.keyturn.api.WireJson.mapper().readTree(current.value().reveal()),
          allowPlaceholder);
    }
    return PutChecks.text(secret.name(), current.value().revealUtf8(), allowPlaceholder);
  }

  private AuditEvent record(Exchange ex, Restorer.Step step, int newest, Incoming backup) {
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

  /**
   * The restore's document, read once as it streams in: every secret is checked, and those below
   * ?prefix= are kept (the others are checked and dropped). The caller's {@code admin} is checked
   * on each kept name as soon as its secret is read ({@code admit}, {@link
   * Requirements#admitRestored}), so a token refused on one name is refused there, without the rest
   * of the body being read. What is kept is capped at {@link #MAX_RESTORE_HELD} bytes (values plus
   * an allowance per version).
   */
  private static Incoming restoreDocument(
      Exchange ex, java.util.function.Consumer<BackupSecret> admit) {
    String folder = folder(ex.query("prefix").orElse(""));
    return ex.streamedBody(
        MAX_RESTORE_BODY,
        Incoming.class,
        in -> {
          List<BackupSecret> kept = new ArrayList<>();
          long[] held = {0};
          try {
            BackupReader.Summary summary =
                BackupReader.read(
                    in,
                    secret -> {
                      if (!BackupWriter.within(secret.name().value(), folder)) {
                        secret.destroy();
                        return;
                      }
                      try {
                        admit.accept(secret);
                        held[0] += secret.name().value().length();
                        for (dev.keyturn.backup.BackupVersion v : secret.versions()) {
                          held[0] += v.value().length() + PER_VERSION;
                        }
                        if (held[0] > MAX_RESTORE_HELD) {
                          throw HttpError.tooLarge(
                              "the secrets to restore exceed "
                                  + (MAX_RESTORE_HELD >> 20)
                                  + " MiB; restore them in parts (?prefix=, --prefix)");
                        }
                      } catch (RuntimeException e) {
                        secret.destroy();
                        throw e;
                      }
                      kept.add(secret);
                    });
            return new Incoming(summary.header(), kept);
          } catch (RuntimeException e) {
            kept.forEach(BackupSecret::destroy);
            throw e;
          }
        });
  }

  /**
   * A restore's document as the server keeps it: its header and the secrets it restores, in a list
   * whose entries are let go (set to null) once written.
   */
  record Incoming(BackupDocument.Header header, List<BackupSecret> secrets) {
    /** Zeroes every value still held. */
    void destroy() {
      secrets.stream().filter(java.util.Objects::nonNull).forEach(BackupSecret::destroy);
    }
  }

  /**
   * The secrets a restore request would touch: those of its document below its ?prefix=, each
   * passed to {@code admit} as it is read (the access requirement that refuses it there).
   */
  static List<BackupSecret> restoreSelection(
      Exchange ex, java.util.function.Consumer<BackupSecret> admit) {
    return restoreDocument(ex, admit).secrets();
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
