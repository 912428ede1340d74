package dev.keyturn.cli;

import static java.util.Objects.requireNonNull;

import dev.keyturn.api.FingerprintResponse;
import dev.keyturn.api.FingerprintVersion;
import dev.keyturn.backup.BackupDocument;
import dev.keyturn.backup.BackupSecret;
import dev.keyturn.backup.Restorer;
import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.LeakDigests;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.VersionSet;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.store.JdbcStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A restore drill ({@code keyturn backup drill}): a checked backup is restored into a throwaway
 * embedded store (SQLite in a new folder of mode 700, under a root key made for the drill and never
 * written down; the folder is deleted afterwards), and every version the restored store would serve
 * now is compared with the live server's through digests keyed for that one request ({@code POST
 * /v1/fingerprints} without patterns): the server digests its values, the drill digests the
 * restored ones under the same key, so no value crosses the wire either way. Versions are compared
 * by number, stage, {@code accept_until} and value digest. Not thread-safe.
 */
final class BackupDrill {
  /** Secrets restored into the throwaway store side by side (they share its group commit). */
  private static final int APPLY_THREADS = 8;

  /** What one difference is. */
  enum Kind {
    /** In the backup, not live: restoring it would bring back a secret that is gone. */
    MISSING,
    /** In both, with versions that differ. */
    CHANGED,
    /** Live below the backup's prefix, not in the backup: a restore would not bring it back. */
    EXTRA;

    String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One difference, in words without a value or a digest. */
  record Difference(Kind kind, String name, String detail) {
    Difference {
      requireNonNull(kind, "kind");
      requireNonNull(name, "name");
      requireNonNull(detail, "detail");
    }
  }

  /** What the drill found: how much it restored and compared, and the differences by name. */
  record Outcome(int secrets, int versions, int liveSecrets, List<Difference> differences) {
    Outcome {
      differences = List.copyOf(differences);
    }

    long count(Kind kind) {
      return differences.stream().filter(d -> d.kind() == kind).count();
    }
  }

  /** One version as compared: no value, its digest under the request's key. */
  private record Seen(int number, String stage, Optional<Instant> acceptUntil, byte[] digest) {}

  private final Path parent;
  private final Clock clock;
  private final SecureRandom random;

  /** A drill whose throwaway folder is made in {@code parent} (the temporary folder). */
  BackupDrill(Path parent, Clock clock, SecureRandom random) {
    this.parent = requireNonNull(parent, "parent");
    this.clock = requireNonNull(clock, "clock");
    this.random = requireNonNull(random, "random");
  }

  /**
   * Restores {@code backup} into a throwaway store, asks {@code live} for the live digests of the
   * backup's prefix, and compares.
   *
   * @throws KeyturnException.Forbidden if the token may not read some live secret below the prefix
   *     (the drill cannot tell whether the backup holds it as it is)
   */
  Outcome run(BackupDocument backup, Function<String, FingerprintResponse> live) {
    Path dir = temporaryFolder(parent);
    try {
      return restoreAndCompare(backup, dir, live);
    } finally {
      delete(dir);
    }
  }

  private Outcome restoreAndCompare(
      BackupDocument backup, Path dir, Function<String, FingerprintResponse> live) {
    RootKey rootKey = RootKey.generate(random);
    try (JdbcStore store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("drill.db"), clock)) {
      store.openAuditLog(new AuditChain(rootKey));
      Envelope envelope = new Envelope(rootKey, random);
      store.protect(envelope);
      SecretService service = new SecretService(store, envelope, clock);
      restore(service, backup);
      FingerprintResponse answer = live.apply(backup.header().prefix());
      if (answer.unreadable() > 0) {
        throw new KeyturnException.Forbidden(
            "the token may not read "
                + answer.unreadable()
                + " live secrets below '"
                + backup.header().prefix()
                + "': a drill needs read on every name the backup covers");
      }
      byte[] key = Base64.getDecoder().decode(answer.key());
      try {
        Map<String, List<Seen>> current = live(answer);
        Map<String, List<Seen>> restored =
            restored(service, store, backup, new LeakDigests(key), current);
        return compare(backup, restored, current);
      } finally {
        Arrays.fill(key, (byte) 0);
      }
    } finally {
      rootKey.destroy();
    }
  }

  private void restore(SecretService service, BackupDocument backup) {
    Restorer restorer = new Restorer(service, clock);
    List<Restorer.Step> plan = restorer.plan(backup, backup.secrets(), false);
    Map<String, BackupSecret> byName = new TreeMap<>();
    backup.secrets().forEach(s -> byName.put(s.name().value(), s));
    List<Future<?>> applied = new ArrayList<>(plan.size());
    try (ExecutorService pool =
        Executors.newFixedThreadPool(
            APPLY_THREADS, Thread.ofVirtual().name("drill-", 0).factory())) {
      for (Restorer.Step step : plan) {
        applied.add(
            pool.submit(() ->
                restorer.apply(
                    step,
                    byName.get(step.name().value()),
                    Duration.ZERO,
                    "backup-drill",
                    (s, newest) ->
                        List.of(
                            new AuditEvent(
                                clock.instant(),
                                "backup-drill",
                                "local",
                                "secret.restore",
                                Optional.of(s.name().value()),
                                Optional.of(newest),
                                "ok",
                                "drill")))));
      }
    }
    for (Future<?> f : applied) {
      try {
        f.get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r
            ? r
            : new IllegalStateException("the drill's restore failed", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KeyturnException.Unavailable("the drill was interrupted", e);
      }
    }
  }

  /**
   * What the restored store would serve now, each value digested under the request's key. A
   * previous version past its grace that the live server still serves (a live consumer holds it) is
   * served by the restored store too once that consumer sends its next heartbeat, but the throwaway
   * store has no consumers: such a version is compared when the backup holds it.
   */
  private static Map<String, List<Seen>> restored(
      SecretService service,
      JdbcStore store,
      BackupDocument backup,
      LeakDigests digests,
      Map<String, List<Seen>> live) {
    Map<String, List<Seen>> out = new TreeMap<>();
    for (BackupSecret secret : backup.secrets()) {
      List<SecretValue> values = new ArrayList<>(service.keyring(secret.name()));
      try {
        Set<Integer> valid = new HashSet<>();
        values.forEach(v -> valid.add(v.version().number()));
        List<Seen> onlyLive =
            live.getOrDefault(secret.name().value(), List.of()).stream()
                .filter(l -> !valid.contains(l.number()))
                .toList();
        VersionSet raw =
            onlyLive.isEmpty()
                ? null
                : store.secrets().find(secret.name()).orElseThrow().versions();
        for (Seen l : onlyLive) {
          if (raw.version(l.number()).filter(v -> v.stage() == Stage.PREVIOUS).isPresent()) {
            SecretValue held = service.read(secret.name(), Selector.version(l.number()), true);
            values.add(
                new SecretValue(
                    secret.name(), raw.version(l.number()).orElseThrow(), held.plaintext()));
          }
        }
        List<Seen> seen = new ArrayList<>();
        for (SecretValue value : values) {
          byte[] bytes = value.plaintext().reveal();
          try {
            seen.add(
                new Seen(
                    value.version().number(),
                    value.version().stage().wireName(),
                    value.version().acceptUntil(),
                    digests.digest(bytes, 0, bytes.length)));
          } finally {
            Arrays.fill(bytes, (byte) 0);
          }
        }
        if (!seen.isEmpty()) {
          out.put(secret.name().value(), sorted(seen));
        }
      } finally {
        values.forEach(v -> v.plaintext().destroy());
      }
    }
    return out;
  }

  private static Map<String, List<Seen>> live(FingerprintResponse answer) {
    Map<String, List<Seen>> out = new TreeMap<>();
    for (FingerprintVersion v : answer.versions()) {
      out.computeIfAbsent(v.name(), n -> new ArrayList<>())
          .add(
              new Seen(
                  v.version(),
                  v.stage(),
                  Optional.ofNullable(v.acceptUntil()).map(Instant::parse),
                  Base64.getDecoder().decode(v.digest())));
    }
    out.replaceAll((name, seen) -> sorted(seen));
    return out;
  }

  private static List<Seen> sorted(List<Seen> seen) {
    return seen.stream().sorted(Comparator.comparingInt(Seen::number)).toList();
  }

  private static Outcome compare(
      BackupDocument backup, Map<String, List<Seen>> restored, Map<String, List<Seen>> live) {
    List<Difference> differences = new ArrayList<>();
    TreeSet<String> names = new TreeSet<>(restored.keySet());
    names.addAll(live.keySet());
    for (String name : names) {
      List<Seen> ours = restored.get(name);
      List<Seen> theirs = live.get(name);
      if (theirs == null) {
        differences.add(
            new Difference(Kind.MISSING, name, "in the backup (" + list(ours) + "), not live"));
      } else if (ours == null) {
        differences.add(
            new Difference(Kind.EXTRA, name, "live (" + list(theirs) + "), not in the backup"));
      } else {
        String changes = changes(ours, theirs);
        if (!changes.isEmpty()) {
          differences.add(new Difference(Kind.CHANGED, name, changes));
        }
      }
    }
    return new Outcome(backup.secrets().size(), backup.versionCount(), live.size(), differences);
  }

  /** How the versions differ, by number; empty when they do not. */
  private static String changes(List<Seen> ours, List<Seen> theirs) {
    Map<Integer, Seen> backup = new TreeMap<>();
    ours.forEach(s -> backup.put(s.number(), s));
    Map<Integer, Seen> live = new TreeMap<>();
    theirs.forEach(s -> live.put(s.number(), s));
    TreeSet<Integer> numbers = new TreeSet<>(backup.keySet());
    numbers.addAll(live.keySet());
    List<String> out = new ArrayList<>();
    for (int n : numbers) {
      Seen b = backup.get(n);
      Seen l = live.get(n);
      if (l == null) {
        out.add("#" + n + " " + b.stage() + " only in the backup");
      } else if (b == null) {
        out.add("#" + n + " " + l.stage() + " only live");
      } else {
        List<String> what = new ArrayList<>();
        if (!b.stage().equals(l.stage())) {
          what.add("stage " + b.stage() + " in the backup, " + l.stage() + " live");
        }
        if (!b.acceptUntil().equals(l.acceptUntil())) {
          what.add(
              "accept_until "
                  + b.acceptUntil().map(Instant::toString).orElse("none")
                  + " in the backup, "
                  + l.acceptUntil().map(Instant::toString).orElse("none")
                  + " live");
        }
        if (!MessageDigest.isEqual(b.digest(), l.digest())) {
          what.add("the value differs");
        }
        if (!what.isEmpty()) {
          out.add("#" + n + " " + String.join(", ", what));
        }
      }
    }
    return String.join("; ", out);
  }

  private static String list(List<Seen> seen) {
    return String.join(", ", seen.stream().map(s -> "#" + s.number() + " " + s.stage()).toList());
  }

  private static Path temporaryFolder(Path parent) {
    try {
      return Files.createTempDirectory(
          parent,
          "keyturn-drill-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new KeyturnException.Unavailable(
          "cannot make the drill's temporary folder: " + e.getMessage(), e);
    }
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the drill's folder " + dir, e);
    }
  }
}
