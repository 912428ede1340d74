package dev.keyturn.store;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.GenerationLedger;
import dev.keyturn.core.integrity.RowMacs;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditRecord;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The integrity checks of a {@link JdbcStore}'s rows, once {@link JdbcStore#protect} has run: row
 * MACs under the metadata key ({@link RowMacs}) and generations against the {@link
 * GenerationLedger} built from the verified audit chain. Before that (a store opened by a tool or a
 * test that never protects it) rows are written without MACs and read unchecked.
 *
 * <p>A failed check is loud: an {@link KeyturnException.IntegrityFailure} naming the object, an
 * ERROR log line and an {@code integrity.fail} audit record (both at most once a minute per object,
 * so that a tampered row read on every request cannot fill the disk). On PostgreSQL, where other
 * nodes append records, the ledger reads the chain on from its last record at most once a second
 * before a check. If those records do not verify, the store is failed: generations recorded after
 * the break are unknown, so every check from then on throws instead of trusting a stale ledger.
 * Thread-safe.
 */
final class Integrity {
  static final String FAIL_ACTION = "integrity.fail";
  private static final Logger log = LoggerFactory.getLogger(Integrity.class);
  private static final Duration ALARM_INTERVAL = Duration.ofMinutes(1);
  private static final long TAIL_INTERVAL_MILLIS = 1000;

  private final Jdbc pooled;
  private final Dialect dialect;
  private final Clock clock;
  private final Map<String, Long> lastAlarm = new ConcurrentHashMap<>();
  private volatile RowMacs macs;
  private volatile GenerationLedger ledger;
  private volatile AuditLog audit;
  private volatile long tailedAt;
  private volatile String broken;

  /** The ledger's tick when this thread's outermost read began; null outside a read. */
  private final ThreadLocal<Long> readingSince = new ThreadLocal<>();

  Integrity(Jdbc pooled, Dialect dialect, Clock clock) {
    this.pooled = pooled;
    this.dialect = dialect;
    this.clock = clock;
  }

  /** Starts checking: called once the metadata key is open and the rows are migrated. */
  void activate(RowMacs macs, GenerationLedger ledger, AuditLog audit) {
    this.ledger = ledger;
    this.audit = audit;
    this.macs = macs;
  }

  boolean active() {
    return macs != null;
  }

  /** Zeroes the metadata key (the store is closing: {@code seal} or shutdown). */
  void destroy() {
    RowMacs m = macs;
    if (m != null) {
      m.destroy();
    }
  }

  RowMacs macs() {
    return macs;
  }

  /** The generation the next write of {@code object} gets, after {@code stored} in its row. */
  long next(String object, long stored) {
    refresh();
    return Math.max(stored, ledger.highest(object)) + 1;
  }

  /**
   * Takes in the audit records this node's audit log just committed (on PostgreSQL), so that the
   * ledger reads from the store only what other nodes appended: when they directly follow the
   * ledger's last record, they are taken in as sealed here, without reading them back and verifying
   * their MACs again (as on SQLite, where this node's commits raise the ledger themselves);
   * otherwise other nodes' records came between, and {@link #tail} reads both.
   */
  void sealed(JdbcAuditLog.Chained chained) {
    GenerationLedger l = ledger;
    if (dialect == Dialect.POSTGRESQL && l != null && broken == null) {
      l.absorbSealed(chained.records(), chained.previous());
    }
  }

  /** Records generations this node committed. */
  void committed(Map<String, Long> generations) {
    GenerationLedger l = ledger;
    if (l != null) {
      generations.forEach(l::raise);
    }
  }

  /**
   * Checks a row's MAC.
   *
   * @throws KeyturnException.IntegrityFailure if it does not match
   */
  void checkMac(String label, byte[] expected, byte[] stored, Optional<String> secret) {
    checkSound();
    if (!RowMacs.same(expected, stored)) {
      throw fail(
          label,
          stored == null
              ? "the row has no MAC (it was added or changed outside Keyturn)"
              : "the row's MAC does not match (it was changed outside Keyturn)",
          secret);
    }
  }

  /**
   * Marks the start of a read on this thread (rows read until {@link #endRead} are checked against
   * what the ledger knew now); returns what {@link #endRead} takes. Nested reads keep the outer
   * one.
   */
  Long beginRead() {
    Long outer = readingSince.get();
    GenerationLedger l = ledger;
    if (outer == null && l != null) {
      readingSince.set(l.tick());
    }
    return outer;
  }

  /** Ends the read {@link #beginRead} began; {@code outer} is what it returned. */
  void endRead(Long outer) {
    if (outer == null) {
      readingSince.remove();
    }
  }

  /**
   * Checks a verified row's generation against the ledger, then raises the ledger to it. A row
   * older than the ledger is refused, unless the ledger learned the newer generation after the read
   * began: a write committed while this read ran, and the row read is the one before it (the next
   * read sees the new one, or fails if an older row was put back).
   *
   * @throws KeyturnException.IntegrityFailure if the row is older than the audit chain records
   */
  void checkGeneration(String label, String object, long generation, Optional<String> secret) {
    refresh();
    long known = ledger.highest(object);
    Long since = readingSince.get();
    if (generation < known && since != null && ledger.raisedSince(object, since)) {
      return;
    }
    if (generation < known) {
      throw fail(
          label,
          "the row is at generation "
              + generation
              + ", but the audit chain records generation "
              + known
              + " (an older row was put back)",
          secret);
    }
    ledger.raise(object, generation);
  }

  /**
   * Checks that an object the audit chain records is not missing from its table.
   *
   * @throws KeyturnException.IntegrityFailure if the ledger knows a generation of it
   */
  void checkPresent(String label, String object, String secret) {
    refresh();
    if (ledger.highest(object) > 0) {
      throw fail(
          label,
          "the audit chain records generation "
              + ledger.highest(object)
              + " of it, but its row is gone (it was deleted outside Keyturn)",
          Optional.of(secret));
    }
  }

  /** An integrity failure, logged at ERROR and audited (each at most once a minute per object). */
  KeyturnException.IntegrityFailure fail(String label, String why, Optional<String> secret) {
    KeyturnException.IntegrityFailure failure = new KeyturnException.IntegrityFailure(label, why);
    long now = clock.millis();
    Long last = lastAlarm.get(label);
    if (last == null || now - last >= ALARM_INTERVAL.toMillis()) {
      lastAlarm.put(label, now);
      log.error("integrity check failed: {}", failure.getMessage());
      AuditLog a = audit;
      if (a != null) {
        // Not waited for: the caller's transaction may hold SQLite's write lock until it ends.
        a.appendAsync(
                List.of(
                    new AuditEvent(
                        clock.instant(),
                        "-",
                        "store",
                        FAIL_ACTION,
                        secret,
                        Optional.empty(),
                        "failed",
                        failure.getMessage())))
            .exceptionally(e -> {
              log.error("the integrity.fail record of {} could not be written", label, e);
              return null;
            });
      }
    }
    return failure;
  }

  /**
   * On PostgreSQL, reads the audit records other nodes appended since the ledger's last one (at
   * most once a second), verifying them as a continuation of the chain. On SQLite this node is the
   * only writer, and its commits raise the ledger themselves.
   */
  void refresh() {
    checkSound();
    long now = clock.millis();
    if (dialect == Dialect.SQLITE || now - tailedAt < TAIL_INTERVAL_MILLIS) {
      return;
    }
    tailedAt = now;
    tail();
    checkSound();
  }

  /**
   * Fails every check once the audit chain stopped verifying.
   *
   * @throws KeyturnException.IntegrityFailure if it did
   */
  void checkSound() {
    String why = broken;
    if (why != null) {
      throw fail("audit log", why, Optional.empty());
    }
  }

  /** Why the store is failed, if the audit chain stopped verifying. */
  Optional<String> broken() {
    return Optional.ofNullable(broken);
  }

  /** What an operator is told when the chain does not verify. */
  static String brokenChain(String problem) {
    return problem
        + ": the audit chain is broken there, so the generations it records from that record on"
        + " are unknown and rows put back from before them would not be caught; restore the"
        + " database from a backup taken before the edit, or investigate the audit table from"
        + " that record (keyturn audit verify reports the same record); see docs/security.md,"
        + " \"Storage\"";
  }

  /** Reads the audit records appended since the ledger's last one into it. */
  void tail() {
    GenerationLedger l = ledger;
    if (l == null || broken != null) {
      return;
    }
    synchronized (this) {
      while (true) {
        long after = l.lastSeq();
        List<AuditRecord> page =
            pooled.read(c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT "
                          + JdbcAuditLog.COLUMNS
                          + " FROM audit WHERE seq > ? ORDER BY seq LIMIT 10000")) {
                ps.setLong(1, after);
                return JdbcAuditLog.readAll(ps);
              }
            });
        for (AuditRecord r : page) {
          if (!l.absorb(r)) {
            broken = brokenChain(l.problem().orElse("the audit chain does not verify"));
            fail("audit log", broken, Optional.empty());
            return;
          }
        }
        if (page.size() < 10000) {
          return;
        }
      }
    }
  }

  /** For tests and the migration: the ledger in use. */
  GenerationLedger ledger() {
    return ledger;
  }

  /** Builds a ledger from the whole verified chain in {@code audit}. */
  static GenerationLedger ledgerOf(AuditChain chain, AuditLog audit) {
    GenerationLedger l = new GenerationLedger(chain);
    audit.scan(l::absorb);
    return l;
  }
}
