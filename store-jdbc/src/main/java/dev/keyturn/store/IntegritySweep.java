package dev.keyturn.store;

import dev.keyturn.core.spi.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@link Store#sweep}: walks the secret, token and rule tables in key order, a page at a time, and
 * checks every row as a read would (its MAC and its generation against the ledger), straight from
 * the storage, never from a cache. Reads check only the rows they touch, so a row edited to drop
 * out of an indexed query (a rule whose due date was moved to never, a previous version whose grace
 * was stretched) is otherwise found only when something reads it; the server sweeps periodically
 * (docs/security.md). One failing row does not stop the sweep: every failure is reported, and each
 * is logged and audited as {@code integrity.fail} by {@link Integrity} as a read's would be.
 */
final class IntegritySweep {
  /** Rows per page: one short read transaction each, so writers are never held up for long. */
  static final int PAGE = 500;

  /** One page of a table: the rows it held and the key of its last row (null when empty). */
  record Page(int rows, String last) {}

  /** Reads and checks the page of rows after a key (null: from the first row). */
  interface Table {
    Page page(String after, int limit, Consumer<String> failed);
  }

  private IntegritySweep() {}

  /**
   * The comparison that selects the rows after {@code after} (bound as {@code ""} when null): the
   * first page starts at the empty key itself, so a row whose key was edited to {@code ''} is not
   * skipped.
   */
  static String after(String after) {
    return after == null ? ">= ?" : "> ?";
  }

  /** Sweeps {@code tables} in order. */
  static Store.SweepResult run(List<Table> tables) {
    List<String> failures = new ArrayList<>();
    long rows = 0;
    for (Table table : tables) {
      String after = null;
      while (true) {
        Page page = table.page(after, PAGE, failures::add);
        rows += page.rows();
        if (page.rows() < PAGE) {
          break;
        }
        after = page.last();
      }
    }
    return new Store.SweepResult(rows, List.copyOf(failures));
  }
}
