package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.backup.BackupDocument;
import dev.keyturn.backup.BackupWriter;
import dev.keyturn.backup.OpenPgp;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scheduled backups ({@link BackupSchedule}; docs/backup.md "Scheduled backups"): every secret,
 * streamed from the store through OpenPGP encryption to the schedule's public keys into {@code
 * DIR/keyturn-backup-YYYYMMDDTHHMMSSZ.pgp} (UTC), written under a temporary name in the same folder
 * (mode 600), synced, then linked into place; only the newest {@code keep} files of that exact name
 * pattern are kept, and no other file is ever touched.
 *
 * <p>When: at start if no backup of that pattern is in the folder or the newest is older than one
 * interval (by the time in its name), else one interval after the newest; then one interval after
 * each success, or after {@link #RETRY} (at most the interval) after a failure. Each backup is
 * audited as the system ({@code system}) reading every version it holds ({@code secret.read},
 * detail {@code scheduled backup versions 2,3}) before any value is read, and as one {@code
 * backup.scheduled} record (file, secrets, versions, once the file is in place; or the failure). A
 * failure is logged, audited, sent as a {@code backup.fail} notification, shown on the status
 * board, and counted in {@code /metrics} ({@code keyturn_backup_failures_total}; {@code
 * keyturn_backup_last_success_timestamp_seconds} grows old). Thread-safe: backups run one at a time
 * on a thread of their own.
 */
final class ScheduledBackups implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ScheduledBackups.class);

  /** The names this server writes and prunes; nothing else in the folder is touched. */
  static final Pattern NAME = Pattern.compile("keyturn-backup-(\\d{8}T\\d{6}Z)\\.pgp");

  /** Temporary files of this server's backups, left by a crash mid-write. */
  static final Pattern TEMPORARY =
      Pattern.compile("\\.keyturn-backup-\\d{8}T\\d{6}Z-[0-9a-f]{12}\\.tmp");

  static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  /** How soon a failed backup is tried again (at most one interval). */
  static final Duration RETRY = Duration.ofHours(1);

  static final String ACTOR = "system";

  /** What the status board shows. */
  record Status(
      BackupSchedule schedule,
      Optional<Instant> lastSuccess,
      Optional<String> lastFile,
      Optional<Instant> lastFailure,
      Optional<String> lastError,
      Optional<Instant> nextAt,
      int kept) {

    /** {@code ok}, {@code failing} (the last attempt failed) or {@code pending} (none yet). */
    String state() {
      if (lastFailure.isPresent()
          && (lastSuccess.isEmpty() || lastFailure.get().isAfter(lastSuccess.get()))) {
        return "failing";
      }
      return lastSuccess.isPresent() ? "ok" : "pending";
    }
  }

  private final BackupSchedule schedule;
  private final BackupWriter writer;
  private final Supplier<BackupDocument.Header> header;
  private final AuditLog audit;
  private final Notifier notifier;
  private final Clock clock;
  private final SecureRandom random;
  private final Counter failures;
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("keyturn-backup").daemon(true).factory());
  private volatile Optional<Instant> lastSuccess;
  private volatile Optional<String> lastFile = Optional.empty();
  private volatile Optional<Instant> lastFailure = Optional.empty();
  private volatile Optional<String> lastError = Optional.empty();
  private volatile Optional<Instant> nextAt = Optional.empty();
  private volatile int kept;

  ScheduledBackups(
      BackupSchedule schedule,
      BackupWriter writer,
      Supplier<BackupDocument.Header> header,
      AuditLog audit,
      Notifier notifier,
      Clock clock,
      SecureRandom random,
      MeterRegistry registry) {
    this.schedule = requireNonNull(schedule, "schedule");
    this.writer = requireNonNull(writer, "writer");
    this.header = requireNonNull(header, "header");
    this.audit = requireNonNull(audit, "audit");
    this.notifier = requireNonNull(notifier, "notifier");
    this.clock = requireNonNull(clock, "clock");
    this.random = requireNonNull(random, "random");
    deleteLeftovers();
    warnOfFutureNames();
    List<Path> files = backups();
    this.kept = files.size();
    // A restart does not make the last backup look older than it is.
    this.lastSuccess = files.isEmpty() ? Optional.empty() : stamp(files.get(files.size() - 1));
    this.lastFile = files.isEmpty() ? Optional.empty() : Optional.of(last(files));
    this.failures = meters(registry, this, schedule.every());
  }

  /**
   * The meters of a server that writes no scheduled backups: an interval of 0 says so to the alert
   * rules (docs/prometheus), which then stay silent.
   */
  static void unscheduled(MeterRegistry registry) {
    meters(registry, null, Duration.ZERO);
  }

  private static Counter meters(MeterRegistry registry, ScheduledBackups backups, Duration every) {
    // Strong references (the supplier form): a gauge's weakly held object would read NaN.
    Gauge.builder(
            "keyturn.backup.last.success",
            () ->
                backups == null
                    ? 0.0
                    : backups.lastSuccess.map(t -> t.toEpochMilli() / 1000.0).orElse(0.0))
        .description("When the last scheduled backup was written (0: none yet).")
        .baseUnit("timestamp_seconds")
        .register(registry);
    Gauge.builder("keyturn.backup.interval", () -> every.toMillis() / 1000.0)
        .description("The interval of scheduled backups (0: none are scheduled).")
        .baseUnit("seconds")
        .register(registry);
    return Counter.builder("keyturn.backup.failures")
        .description("Scheduled backups that failed.")
        .register(registry);
  }

  /** Schedules the first backup (see the type) and every one after it. */
  ScheduledBackups start() {
    Instant first = firstRun(clock.instant(), lastSuccess, schedule.every());
    schedule(first);
    log.info(
        "scheduled backups to {} every {}, keeping {}; the next at {}",
        schedule.dir(),
        dev.keyturn.core.Durations.format(schedule.every()),
        schedule.keep(),
        first);
    return this;
  }

  /** When the first backup runs: now when none is there or the newest is an interval old. */
  static Instant firstRun(Instant now, Optional<Instant> newest, Duration every) {
    if (newest.isEmpty()) {
      return now;
    }
    Instant due = newest.get().plus(every);
    return due.isAfter(now) ? due : now;
  }

  /** When the backup after one attempted at {@code at} runs. */
  static Instant nextRun(Instant at, boolean succeeded, Duration every) {
    return at.plus(succeeded ? every : (every.compareTo(RETRY) < 0 ? every : RETRY));
  }

  private void schedule(Instant at) {
    nextAt = Optional.of(at);
    long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis());
    try {
      thread.schedule(this::tick, delay, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closing.
    }
  }

  private void tick() {
    Instant at = clock.instant();
    boolean ok = backUp().isPresent();
    schedule(nextRun(at, ok, schedule.every()));
  }

  /**
   * Writes one backup now and prunes the old ones; on failure logs, audits, notifies and counts it.
   * Returns the file written, or empty when the backup failed.
   */
  Optional<Path> backUp() {
    Instant now = clock.instant();
    try {
      Path file = write(now);
      lastSuccess = Optional.of(now);
      lastFile = Optional.of(file.getFileName().toString());
      prune();
      return Optional.of(file);
    } catch (RuntimeException e) {
      String why = SafeFailure.describe(e);
      lastFailure = Optional.of(now);
      lastError = Optional.of(why);
      failures.increment();
      log.error("scheduled backup to {} failed: {}", schedule.dir(), why);
      try {
        audit.append(List.of(record(now, "backup.scheduled", Optional.empty(), "failed", why)));
      } catch (RuntimeException auditFailure) {
        log.error("the failed backup could not be audited: {}", SafeFailure.describe(auditFailure));
      }
      notifier.send(
          "backup.fail",
          "-",
          Optional.empty(),
          "failed",
          "scheduled backup to " + schedule.dir() + " failed: " + why,
          Optional.of(why));
      return Optional.empty();
    }
  }

  private Path write(Instant now) {
    // Read at each backup, so that a replaced key file is used (and a missing one is a failure).
    List<PGPPublicKey> keys = new ArrayList<>();
    for (Path recipient : schedule.recipients()) {
      keys.addAll(OpenPgp.recipients(recipient));
    }
    String stamp = STAMP.format(now);
    Path target = schedule.dir().resolve("keyturn-backup-" + stamp + ".pgp");
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new KeyturnException.Conflict(target + " exists already");
    }
    List<BackupWriter.Entry> entries = writer.snapshot("", now);
    int versions = entries.stream().mapToInt(e -> e.versions().size()).sum();
    // Every read is durable in the audit log before the first value is decrypted.
    List<AuditEvent> records = new ArrayList<>(entries.size());
    for (BackupWriter.Entry e : entries) {
      records.add(
          new AuditEvent(
              now,
              ACTOR,
              "backup-schedule",
              "secret.read",
              Optional.of(e.name().value()),
              Optional.of(e.versions().get(e.versions().size() - 1).number()),
              "ok",
              "scheduled backup versions "
                  + e.versions().stream()
                      .map(v -> String.valueOf(v.number()))
                      .collect(Collectors.joining(","))));
    }
    audit.append(records);
    BackupDocument.Header base = header.get();
    BackupDocument.Header made =
        new BackupDocument.Header(
            now, base.serverId(), base.rootKeyId(), base.auditCheckpoint(), "");
    Path temp =
        schedule
            .dir()
            .resolve(
                ".keyturn-backup-" + stamp + "-" + HexFormat.of().formatHex(bytes(6)) + ".tmp");
    try {
      // Made and opened in one call (O_CREAT|O_EXCL, which never follows a symbolic link):
      // opening it again by name would follow a link put in its place meanwhile by anyone who
      // can write to the folder, and the server would write into the file it points at.
      try (FileChannel channel =
          FileChannel.open(
              temp,
              java.util.Set.<java.nio.file.OpenOption>of(
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        OutputStream file = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
        try (OutputStream sealed = OpenPgp.encryptToRecipients(file, keys, random)) {
          writer.write(sealed, made, entries);
        }
        file.flush();
        channel.force(true);
      }
      // A link never replaces a file; the name is the backup only once it is whole and synced.
      Files.createLink(target, temp);
      Files.delete(temp);
      syncFolder();
      // Only a backup that is there is audited as written (a failure is audited by backUp).
      try {
        audit.append(
            List.of(
                record(
                    now,
                    "backup.scheduled",
                    Optional.empty(),
                    "ok",
                    "file="
                        + target.getFileName()
                        + " secrets="
                        + entries.size()
                        + " versions="
                        + versions)));
      } catch (RuntimeException e) {
        Files.deleteIfExists(target);
        throw e;
      }
      log.info(
          "scheduled backup {}: {} secrets, {} versions",
          target.getFileName(),
          entries.size(),
          versions);
      return target;
    } catch (FileAlreadyExistsException e) {
      throw new KeyturnException.Conflict(target + " exists already");
    } catch (IOException e) {
      throw new KeyturnException.Unavailable(
          "cannot write the backup in " + schedule.dir() + ": " + describe(e), e);
    } finally {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        log.warn("cannot delete {}: {}", temp, describe(e));
      }
    }
  }

  private void syncFolder() {
    try (FileChannel dir = FileChannel.open(schedule.dir(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a folder; the file itself is synced.
    }
  }

  /** Deletes all but the newest {@code keep} backups of this server's naming pattern. */
  void prune() {
    List<Path> files = backups();
    int excess = files.size() - schedule.keep();
    for (int i = 0; i < excess; i++) {
      try {
        Files.deleteIfExists(files.get(i));
        log.info("pruned the old backup {}", files.get(i).getFileName());
      } catch (IOException e) {
        log.warn("cannot prune {}: {}", files.get(i), describe(e));
      }
    }
    kept = backups().size();
  }

  /** Deletes the temporary files of backups that a crash interrupted (their own pattern only). */
  private void deleteLeftovers() {
    try (Stream<Path> listed = Files.list(schedule.dir())) {
      for (Path p : listed.toList()) {
        if (TEMPORARY.matcher(p.getFileName().toString()).matches()
            && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.deleteIfExists(p);
          log.info("deleted {}, left by a backup that did not finish", p.getFileName());
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      log.warn("cannot list {}: {}", schedule.dir(), e.getMessage());
    }
  }

  /** Logs the files of the backups' pattern named for a time still to come, which it leaves. */
  private void warnOfFutureNames() {
    Instant now = clock.instant();
    try (Stream<Path> listed = Files.list(schedule.dir())) {
      for (Path p : listed.toList()) {
        if (stamp(p).filter(t -> t.isAfter(now)).isPresent()) {
          log.warn(
              "{} is named for a time still to come: neither counted as a backup nor pruned",
              p.getFileName());
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      log.warn("cannot list {}: {}", schedule.dir(), e.getMessage());
    }
  }

  /**
   * This server's backups in the folder (regular files of its exact pattern), oldest first. A file
   * named for a time still to come (a clock that ran ahead, or someone else's file) is not one: it
   * would pass for the newest, postpone the next backup and have each new one pruned.
   */
  List<Path> backups() {
    Instant now = clock.instant();
    try (Stream<Path> listed = Files.list(schedule.dir())) {
      return listed
          .filter(p -> stamp(p).filter(t -> !t.isAfter(now)).isPresent())
          .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
          .sorted()
          .toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      return List.of();
    }
  }

  /** What the status board shows now. */
  Status status() {
    return new Status(schedule, lastSuccess, lastFile, lastFailure, lastError, nextAt, kept);
  }

  private static Optional<Instant> stamp(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.from(STAMP.parse(m.group(1))));
    } catch (java.time.DateTimeException e) {
      return Optional.empty();
    }
  }

  private static String last(List<Path> files) {
    return files.get(files.size() - 1).getFileName().toString();
  }

  private AuditEvent record(
      Instant at, String action, Optional<String> secret, String result, String detail) {
    return new AuditEvent(
        at, ACTOR, "backup-schedule", action, secret, Optional.empty(), result, detail);
  }

  private byte[] bytes(int n) {
    byte[] out = new byte[n];
    random.nextBytes(out);
    return out;
  }

  private static String describe(IOException e) {
    // File system messages name the operator's paths, never a value.
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
