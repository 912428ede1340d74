package dev.keyturn.core.audit;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditRecord;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Walks an audit log from its first record and checks the chain: consecutive sequence numbers from
 * 1, and every MAC. With a checkpoint ({@code SEQ:MAC} taken earlier) it also checks that the
 * checkpointed record is still there, unchanged, which catches records deleted from the end.
 */
public final class AuditVerifier {
  private final AuditChain chain;

  public AuditVerifier(AuditChain chain) {
    this.chain = requireNonNull(chain, "chain");
  }

  /** The outcome: how many records were checked, the head, and the first problem if any. */
  public record Result(long records, Optional<Checkpoint> head, Optional<Problem> problem) {
    public boolean ok() {
      return problem.isEmpty();
    }
  }

  /** The first bad record and why. */
  public record Problem(long seq, String reason) {}

  /** A chain head kept elsewhere: {@code SEQ:MAC-HEX}. */
  public record Checkpoint(long seq, String macHex) {
    public static Checkpoint parse(String text) {
      int colon = text.indexOf(':');
      if (colon < 1
          || !text.substring(0, colon).matches("[0-9]{1,18}")
          || !text.substring(colon + 1).matches("[0-9a-f]{64}")) {
        throw new dev.keyturn.core.KeyturnException.InvalidInput(
            "a checkpoint is SEQ:MAC as printed by 'keyturn audit checkpoint'");
      }
      return new Checkpoint(Long.parseLong(text.substring(0, colon)), text.substring(colon + 1));
    }

    @Override
    public String toString() {
      return seq + ":" + macHex;
    }
  }

  public Result verify(AuditLog log, Optional<Checkpoint> checkpoint) {
    State state = new State(checkpoint.map(Checkpoint::seq).orElse(-1L));
    log.scan(record -> state.check(record, chain));
    Optional<Checkpoint> head =
        state.last == null
            ? Optional.empty()
            : Optional.of(new Checkpoint(state.last.seq(), state.last.macHex()));
    Problem problem = state.problem;
    if (problem == null && checkpoint.isPresent()) {
      Checkpoint c = checkpoint.get();
      if (state.checkpointMac == null) {
        long end = state.last == null ? 0 : state.last.seq();
        problem =
            new Problem(
                c.seq(),
                "the checkpointed record is gone: the log ends at record "
                    + end
                    + " (records were deleted from the end)");
      } else if (!MessageDigest.isEqual(HexFormat.of().parseHex(c.macHex()), state.checkpointMac)) {
        problem = new Problem(c.seq(), "the record differs from the checkpoint");
      }
    }
    return new Result(state.count, head, Optional.ofNullable(problem));
  }

  private static final class State {
    final long checkpointSeq;
    long count;
    byte[] previous = AuditChain.GENESIS;
    AuditRecord last;
    Problem problem;
    byte[] checkpointMac;

    State(long checkpointSeq) {
      this.checkpointSeq = checkpointSeq;
    }

    void check(AuditRecord record, AuditChain chain) {
      if (problem != null) {
        return;
      }
      count++;
      long expectedSeq = last == null ? 1 : last.seq() + 1;
      if (record.seq() != expectedSeq) {
        problem =
            new Problem(
                record.seq(),
                "expected record " + expectedSeq + " here (records were deleted or reordered)");
      } else if (!chain.knows(record.keyId())) {
        problem = new Problem(record.seq(), "sealed by unknown key " + record.keyId());
      } else if (!chain.verifies(record, previous)) {
        problem =
            new Problem(
                record.seq(), "MAC does not match (this record or the one before it was changed)");
      }
      if (record.seq() == checkpointSeq) {
        checkpointMac = record.mac();
      }
      previous = record.mac();
      last = record;
    }
  }
}
