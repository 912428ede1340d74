package dev.keyturn.core.audit;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.AuditRecord;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The highest generation of every protected object (see {@code
 * dev.keyturn.core.integrity.Generations}), as the verified audit chain records it. Built at start
 * by feeding it every record from the first ({@link #absorb}), kept up to date with the records
 * appended since (this node's, and on a shared database other nodes', read from the last seen
 * sequence number), and raised by rows that were read and verified. A row whose generation is below
 * the ledger's is an older row replayed into the store.
 *
 * <p>Only a verified chain is believed: records must follow one another from sequence 1 with valid
 * MACs; from the first one that does not, nothing more is absorbed and {@link #problem} says where
 * the chain broke. Thread-safe.
 */
public final class GenerationLedger {
  /** The action of the record that says the store's rows were first protected. */
  public static final String MIGRATE_ACTION = "integrity.migrate";

  private final AuditChain chain;
  private final Map<String, Mark> highest = new ConcurrentHashMap<>();
  private final AtomicLong ticks = new AtomicLong();
  private long lastSeq;
  private byte[] lastMac = AuditChain.GENESIS;
  private String problem;
  private long migratedAt;

  public GenerationLedger(AuditChain chain) {
    this.chain = requireNonNull(chain, "chain");
  }

  /**
   * Takes in the next record of the chain. Returns false, and takes in nothing more, once a record
   * does not follow the one before (a gap, a changed or unknown-key record).
   */
  public synchronized boolean absorb(AuditRecord record) {
    if (problem != null) {
      return false;
    }
    if (record.seq() <= lastSeq) {
      return true; // already seen (a page read again)
    }
    if (record.seq() != lastSeq + 1) {
      problem = "audit record " + (lastSeq + 1) + " is missing";
      return false;
    }
    if (!chain.verifies(record, lastMac)) {
      problem = "audit record " + record.seq() + " does not verify";
      return false;
    }
    take(record);
    return true;
  }

  /**
   * Takes in records this process sealed (in order, the first after the record whose MAC is {@code
   * previousMac}) and committed, without computing their MACs again: those it has taken in already
   * are skipped, and the rest only if they continue the ledger's last record (the MAC they were
   * sealed over is its MAC). Takes in nothing more from the first that does not: records of another
   * writer came between, to be read from the store and verified with {@link #absorb}.
   */
  public synchronized void absorbSealed(List<AuditRecord> records, byte[] previousMac) {
    requireNonNull(records, "records");
    byte[] sealedOver = requireNonNull(previousMac, "previousMac");
    for (AuditRecord record : records) {
      if (problem != null) {
        return;
      }
      if (record.seq() > lastSeq) {
        if (record.seq() != lastSeq + 1 || !MessageDigest.isEqual(sealedOver, lastMac)) {
          return;
        }
        take(record);
      }
      sealedOver = record.mac();
    }
  }

  private void take(AuditRecord record) {
    lastSeq = record.seq();
    lastMac = record.mac();
    record.event().generations().forEach(this::raise);
    if (record.event().action().equals(MIGRATE_ACTION)
        && record.event().result().equals("ok")
        && migratedAt == 0) {
      migratedAt = record.seq();
    }
  }

  /** The highest generation known for {@code object}; 0 when none is. */
  public long highest(String object) {
    Mark mark = highest.get(object);
    return mark == null ? 0 : mark.generation;
  }

  /** Records that {@code object} has reached {@code generation} (kept if higher). */
  public void raise(String object, long generation) {
    highest.compute(
        object,
        (k, old) ->
            old == null || generation > old.generation
                ? new Mark(generation, ticks.incrementAndGet())
                : old);
  }

  /**
   * A counter that every raise of any object moves on: a reader takes it before it reads rows, and
   * {@link #raisedSince} then tells whether an object's generation went up while it read.
   */
  public long tick() {
    return ticks.get();
  }

  /**
   * Whether {@code object}'s highest generation was raised after {@link #tick} gave {@code tick}.
   */
  public boolean raisedSince(String object, long tick) {
    Mark mark = highest.get(object);
    return mark != null && mark.tick > tick;
  }

  /** The sequence number of the last record taken in; 0 before the first. */
  public synchronized long lastSeq() {
    return lastSeq;
  }

  /** Where the chain stopped verifying, if it did. */
  public synchronized Optional<String> problem() {
    return Optional.ofNullable(problem);
  }

  /** The sequence number of the verified {@link #MIGRATE_ACTION} record, if one was taken in. */
  public synchronized Optional<Long> migratedAt() {
    return migratedAt == 0 ? Optional.empty() : Optional.of(migratedAt);
  }

  /** How many objects the ledger knows. */
  public int size() {
    return highest.size();
  }

  /** An object's highest generation, and the {@link #tick} at which it was raised to it. */
  private record Mark(long generation, long tick) {}
}
