package dev.keyturn.targets;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.SweepProgress;
import dev.keyturn.keyring.FernetKeyring;
import dev.keyturn.keyring.KeyringException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One sweep of a table's tokens to the current key of a keyring (the key the rows move to; the
 * other key opens the rest), in id order, a batch at a time. Each batch is read, re-encrypted
 * (tokens under the current key are left alone), written with compare-and-set, and read back: rows
 * the application changed in between are taken again from their new token, so no write of the
 * application is ever replaced by a re-encryption of an older value. Batched sweeps commit each
 * batch and then report their progress, so that a sweep resumed from it continues after the last
 * committed row; an atomic sweep commits once at the end and rolls everything back on any failure.
 *
 * <p>A batch goes in pages of equal size, at most {@link #PAGE} rows each, committed together.
 * Reading and writing overlap: a thread of its own reads the next pages on a second connection
 * (each page in a statement of its own, committed reads) and re-encrypts them on the common pool
 * while the caller's thread writes the one before on the first (and commits at a batch's end); two
 * pages wait at most. The pages read ahead follow every id the writer has touched, so they read
 * nothing this sweep's open transaction changed, and the compare-and-set catches what the
 * application changed since. Tokens never leave this class except to the table; messages name rows
 * by id only. Not thread-safe.
 */
final class RowSweep {
  /** How often a batch is taken again while the application keeps changing its rows. */
  private static final int ROUNDS = 20;

  /** How long a sweep that ends waits for its reading thread to stop (it stops at a page's end). */
  private static final long READER_STOP_SECONDS = 30;

  /**
   * The most rows a page holds. A batch is read, re-encrypted and written in pages of equal size
   * and committed whole: a few pages in flight stay small enough for the server's young generation,
   * where whole batches of 10,000 rows were copied by every collection and promoted.
   */
  static final int PAGE = 2_000;

  private final SweepTable reader;
  private final SweepTable table;
  private final FernetKeyring keys;
  private final int batch;
  private final boolean atomic;
  private final boolean skipUndecryptable;
  private final Consumer<SweepProgress> report;

  /**
   * @param reader the table on the connection pages are read ahead on
   * @param table the table on the connection that writes, reads rows back and commits
   */
  RowSweep(
      SweepTable reader,
      SweepTable table,
      FernetKeyring keys,
      int batch,
      boolean atomic,
      boolean skipUndecryptable,
      Consumer<SweepProgress> report) {
    this.reader = reader;
    this.table = table;
    this.keys = keys;
    this.batch = batch;
    this.atomic = atomic;
    this.skipUndecryptable = skipUndecryptable;
    this.report = report;
  }

  /** A page read ahead and re-encrypted, or what stopped the reading thread. */
  private record Page(List<SweepTable.Row> rows, List<Outcome> outcomes, Throwable failure) {}

  /**
   * Sweeps from where {@code from} ended (a batched sweep of the same phase and version that did
   * not finish), or from the first row.
   *
   * @throws KeyturnException.Conflict when an atomic sweep meets a row no key opens and the rule
   *     does not skip such rows (everything was rolled back)
   */
  SweepProgress run(String phase, int toVersion, Optional<SweepProgress> from) throws SQLException {
    Connection c = table.connection;
    c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
    c.setAutoCommit(false);
    reader.connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
    reader.connection.setAutoCommit(true);
    ExecutorService ahead =
        Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "reencrypt-read-ahead");
          t.setDaemon(true);
          return t;
        });
    try {
      table.inspect();
      reader.inspect();
      SweepProgress progress =
          from.filter(p -> !atomic && p.resumes(phase, toVersion))
              .orElseGet(() -> SweepProgress.start(phase, toVersion, countQuietly()));
      Optional<String> after = progress.after();
      BlockingQueue<Page> pages = new ArrayBlockingQueue<>(2);
      Optional<String> start = after;
      int pagesPerBatch = (batch + PAGE - 1) / PAGE;
      int pageSize = batch / pagesPerBatch;
      ahead.execute(() -> readAhead(start, pageSize, pages));
      Set<String> unreadable = new LinkedHashSet<>();
      int uncommitted = 0;
      while (true) {
        Page page = take(pages);
        if (page.rows.isEmpty()) {
          break;
        }
        String last = page.rows.get(page.rows.size() - 1).id();
        Batch done = settle(page.rows, page.outcomes, after, last);
        if (!done.unreadable.isEmpty() && atomic && !skipUndecryptable) {
          c.rollback();
          unreadable.addAll(done.unreadable);
          throw new KeyturnException.Conflict(
              Rows.describe(unreadable)
                  + " no key opens; the atomic sweep changed nothing (or set"
                  + " skip-undecryptable)");
        }
        long bad = done.unreadable.size();
        progress =
            new SweepProgress(
                phase,
                toVersion,
                Optional.of(last),
                progress.total(),
                progress.done() + done.good,
                progress.skipped() + (skipUndecryptable ? bad : 0),
                progress.failed() + (skipUndecryptable ? 0 : bad),
                false);
        after = Optional.of(last);
        if (!atomic && ++uncommitted == pagesPerBatch) {
          c.commit();
          report.accept(progress);
          uncommitted = 0;
        }
      }
      c.commit();
      progress =
          new SweepProgress(
              phase,
              toVersion,
              after,
              progress.total(),
              progress.done(),
              progress.skipped(),
              progress.failed(),
              true);
      report.accept(progress);
      return progress;
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException ignored) {
        // the connection is gone: the server rolls back
      }
      throw e;
    } finally {
      ahead.shutdownNow();
      try {
        ahead.awaitTermination(READER_STOP_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The reading thread: pages after {@code after}, each re-encrypted, into {@code pages}, ending
   * with an empty page or the failure that stopped it.
   */
  private void readAhead(Optional<String> after, int pageSize, BlockingQueue<Page> pages) {
    try {
      while (true) {
        List<SweepTable.Row> rows = reader.rows(after, Optional.empty(), pageSize);
        List<Outcome> outcomes = rows.parallelStream().map(this::reencrypt).toList();
        pages.put(new Page(rows, outcomes, null));
        if (rows.isEmpty()) {
          return;
        }
        after = Optional.of(rows.get(rows.size() - 1).id());
      }
    } catch (InterruptedException e) {
      // the sweep ended
    } catch (SQLException | RuntimeException | Error e) {
      try {
        pages.put(new Page(List.of(), List.of(), e));
      } catch (InterruptedException ended) {
        // the sweep ended
      }
    }
  }

  private static Page take(BlockingQueue<Page> pages) throws SQLException {
    Page page;
    try {
      page = pages.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KeyturnException.TargetFailure("the sweep was interrupted");
    }
    if (page.failure instanceof SQLException e) {
      throw e;
    }
    if (page.failure instanceof RuntimeException e) {
      throw e;
    }
    if (page.failure instanceof Error e) {
      throw e;
    }
    return page;
  }

  private long countQuietly() {
    try {
      return table.count();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What one batch ended with: rows under the current key, ids of rows no key opens. */
  private record Batch(long good, Set<String> unreadable) {}

  /**
   * Re-encrypts the rows of one page, all of which have ids in {@code (after, last]}, and reads the
   * range back until every row in it is under the current key or opened by no key.
   */
  private Batch settle(
      List<SweepTable.Row> page, List<Outcome> first, Optional<String> after, String last)
      throws SQLException {
    // What this sweep left in each row: its new token, the token it found under the current key,
    // or (unreadable rows) the token no key opens.
    Map<String, Optional<String>> expected = new HashMap<>();
    Set<String> unreadable = new LinkedHashSet<>();
    List<SweepTable.Row> work = page;
    List<Outcome> outcomes = first;
    for (int round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        outcomes = work.parallelStream().map(this::reencrypt).toList();
      }
      List<SweepTable.Change> changes = new ArrayList<>();
      for (int i = 0; i < outcomes.size(); i++) {
        SweepTable.Row row = work.get(i);
        Outcome o = outcomes.get(i);
        if (o == null) {
          unreadable.add(row.id());
          expected.put(row.id(), row.token());
        } else if (o.next.isPresent()) {
          unreadable.remove(row.id());
          changes.add(new SweepTable.Change(row.id(), row.token().orElseThrow(), o.next.get()));
          expected.put(row.id(), o.next);
        } else {
          unreadable.remove(row.id());
          expected.put(row.id(), row.token());
        }
      }
      if (changes.isEmpty()) {
        return new Batch(expected.size() - unreadable.size(), unreadable);
      }
      Optional<Set<String>> updated = table.update(changes);
      List<SweepTable.Row> now;
      if (updated.isPresent()) {
        // The engine said which rows it changed: only the others changed meanwhile.
        List<String> missed =
            changes.stream()
                .map(SweepTable.Change::id)
                .filter(id -> !updated.get().contains(id))
                .toList();
        if (missed.isEmpty()) {
          return new Batch(expected.size() - unreadable.size(), unreadable);
        }
        now = table.rowsWithIds(missed);
        Set<String> present = new java.util.HashSet<>();
        now.forEach(r -> present.add(r.id()));
        for (String id : missed) {
          if (!present.contains(id)) {
            expected.remove(id); // deleted meanwhile
            unreadable.remove(id);
          }
        }
      } else {
        // Read the range back: a row whose token is not what this sweep left there changed.
        now = table.rows(after, Optional.of(last), Integer.MAX_VALUE);
        Set<String> present = new java.util.HashSet<>();
        now.forEach(r -> present.add(r.id()));
        expected.keySet().retainAll(present);
        unreadable.retainAll(present);
      }
      work = new ArrayList<>();
      for (SweepTable.Row row : now) {
        Optional<String> mine = expected.get(row.id());
        if (mine == null || !mine.equals(row.token())) {
          work.add(row);
        }
      }
      if (work.isEmpty()) {
        return new Batch(expected.size() - unreadable.size(), unreadable);
      }
    }
    throw new KeyturnException.TargetFailure(
        "rows of one of the sweep's batches kept changing while being re-encrypted; the sweep goes"
            + " on at its next attempt");
  }

  /** What to do with one row: empty next when it is under the current key; null when unreadable. */
  private record Outcome(Optional<String> next) {}

  private Outcome reencrypt(SweepTable.Row row) {
    if (row.token().isEmpty()) {
      return null;
    }
    try {
      return new Outcome(keys.rotateUnlessCurrent(row.token().get()));
    } catch (KeyringException.InvalidToken e) {
      return null;
    }
  }
}
