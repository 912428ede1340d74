package dev.keyturn.core;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How far a row sweep of the {@code reencrypt} strategy has come, as saved after each committed
 * batch: which sweep ({@code phase}: {@code set} towards the pending key, {@code finish} the final
 * sweep after promotion, {@code rollback} back to the current key), the version whose key the rows
 * are re-encrypted under, the last row id committed (a resumed sweep of the same phase and version
 * continues after it), and the row counts. Holds row ids, never a value or a token.
 *
 * @param phase {@code set}, {@code finish} or {@code rollback}
 * @param toVersion the version whose key rows are re-encrypted under
 * @param after the id (as text) of the last row of the last committed batch; empty before the first
 * @param total the rows in the table when the sweep began
 * @param done rows under {@code toVersion}'s key so far (re-encrypted, or found so)
 * @param skipped rows no key opens, left as they are because the rule says {@code
 *     skip-undecryptable}
 * @param failed rows no key opens, without {@code skip-undecryptable}
 * @param finished whether the sweep went through the whole table
 */
public record SweepProgress(
    String phase,
    int toVersion,
    Optional<String> after,
    long total,
    long done,
    long skipped,
    long failed,
    boolean finished) {

  public SweepProgress {
    requireNonNull(phase, "phase");
    requireNonNull(after, "after");
    if (!phase.matches("set|finish|rollback")) {
      throw new IllegalArgumentException("unknown sweep phase");
    }
  }

  /** A sweep of {@code phase} towards {@code toVersion} that has not begun. */
  public static SweepProgress start(String phase, int toVersion, long total) {
    return new SweepProgress(phase, toVersion, Optional.empty(), total, 0, 0, 0, false);
  }

  /** Whether a sweep of {@code phase} towards {@code toVersion} may continue from this one. */
  public boolean resumes(String phase, int toVersion) {
    return this.phase.equals(phase) && this.toVersion == toVersion && !finished;
  }

  /** One line, as the store keeps it: {@code key=value} pairs joined by {@code ;} (ids escaped). */
  public String encode() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("phase", phase);
    out.put("to", Integer.toString(toVersion));
    out.put("total", Long.toString(total));
    out.put("done", Long.toString(done));
    out.put("skipped", Long.toString(skipped));
    out.put("failed", Long.toString(failed));
    out.put("finished", Boolean.toString(finished));
    after.ifPresent(a -> out.put("after", java.util.HexFormat.of().formatHex(a.getBytes(UTF8))));
    StringBuilder b = new StringBuilder();
    out.forEach((k, v) -> b.append(b.isEmpty() ? "" : ";").append(k).append('=').append(v));
    return b.toString();
  }

  /**
   * The progress {@link #encode} made.
   *
   * @throws KeyturnException.IntegrityFailure if {@code text} is not one
   */
  public static SweepProgress decode(String text) {
    Map<String, String> in = new LinkedHashMap<>();
    for (String pair : text.split(";", -1)) {
      int eq = pair.indexOf('=');
      if (eq < 1) {
        throw bad();
      }
      in.put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    try {
      return new SweepProgress(
          in.get("phase"),
          Integer.parseInt(in.get("to")),
          Optional.ofNullable(in.get("after"))
              .map(h -> new String(java.util.HexFormat.of().parseHex(h), UTF8)),
          Long.parseLong(in.get("total")),
          Long.parseLong(in.get("done")),
          Long.parseLong(in.get("skipped")),
          Long.parseLong(in.get("failed")),
          Boolean.parseBoolean(in.get("finished")));
    } catch (RuntimeException e) {
      throw bad();
    }
  }

  private static KeyturnException bad() {
    return new KeyturnException.IntegrityFailure("a rotation", "its sweep progress is unreadable");
  }

  private static final java.nio.charset.Charset UTF8 = java.nio.charset.StandardCharsets.UTF_8;
}
