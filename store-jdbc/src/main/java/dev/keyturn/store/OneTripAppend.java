package dev.keyturn.store;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.integrity.Generations;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A PostgreSQL audit batch in one round trip. Chained the long way ({@link
 * JdbcAuditLog#chainAndInsert}) a batch takes three: the chain lock with the head, the insert and
 * the commit, all under the chain lock, so they bound how many batches a second all nodes together
 * commit, and every audited read waits for its batch. This node remembers the head it last wrote
 * (or read under the lock), seals the batch over it in memory and sends the chain lock and an
 * insert that takes place only if that record is still the newest as one exchange with one {@code
 * Sync}: one implicit transaction, which PostgreSQL commits (WAL flushed under {@code
 * synchronous_commit}) before it answers. When another node, or a write transaction of this one,
 * moved the head, nothing is inserted and the caller chains the batch the long way.
 *
 * <p>Not thread-safe: the audit writer thread's own.
 */
final class OneTripAppend {
  // The head is compared in the insert's own snapshot, taken once the first statement holds the
  // lock (read committed: a snapshot per statement), as chainAndInsert reads it.
  private static final String SQL =
      "SELECT pg_advisory_xact_lock(?); INSERT INTO audit ("
          + JdbcAuditLog.COLUMNS
          + ") SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[],"
          + " ?::text[], ?::integer[], ?::text[], ?::text[], ?::text[], ?::bytea[], ?::text[])"
          + " WHERE EXISTS (SELECT 1 FROM (SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1) h"
          + " WHERE h.seq = ? AND h.mac = ?)";

  private long headSeq;
  private byte[] headMac; // null while the head is unknown

  /** The batch of the last exchange, until it was answered (then null). */
  private JdbcAuditLog.Chained unanswered;

  /** Notes {@code head}, committed, as the newest record. */
  void remember(AuditRecord head) {
    headSeq = head.seq();
    headMac = head.mac();
  }

  /** Forgets the head: the next batch reads it under the lock. */
  void forget() {
    headMac = null;
  }

  /**
   * Seals {@code events} after the remembered head and commits them on {@code c}, which must be in
   * auto-commit mode; the last of them is remembered as the head. Empty, with nothing written, when
   * no head is remembered or it is no longer the newest record; the remembered head is then
   * forgotten.
   *
   * @throws SQLException if the exchange failed: whether the records were committed is unknown
   *     ({@link #resend} settles it)
   */
  Optional<JdbcAuditLog.Chained> append(Connection c, AuditChain chain, List<AuditEvent> events)
      throws SQLException {
    requireNonNull(events, "events");
    unanswered = null;
    if (!c.getAutoCommit()) {
      throw new IllegalStateException("a one-trip audit batch needs an auto-commit connection");
    }
    if (headMac == null) {
      return Optional.empty();
    }
    byte[] previous = headMac;
    List<AuditRecord> records = new ArrayList<>(events.size());
    long seq = headSeq;
    byte[] mac = previous;
    for (AuditEvent event : events) {
      AuditRecord record = chain.seal(++seq, event.truncatedToMillis(), mac);
      records.add(record);
      mac = record.mac();
    }
    JdbcAuditLog.Chained batch = new JdbcAuditLog.Chained(previous, records);
    unanswered = batch;
    int inserted = exchange(c, batch);
    unanswered = null;
    return settled(batch, inserted);
  }

  /**
   * After {@link #append} threw, as when the server dropped its connection, sends the very records
   * of that exchange again on {@code c}, and tells whether they are stored, by either exchange.
   * They cannot be stored twice: each record keeps its sequence number (the audit table's key), and
   * the insert takes place only while the record they follow is the newest. Once this exchange
   * finds another record there, the first can no longer insert them either. Empty when the failed
   * exchange was never sent (nothing was sealed), or when other records follow that head and not
   * these (nothing of the batch is stored; the remembered head is forgotten, and the caller chains
   * the batch after the real head).
   *
   * @throws SQLException if this exchange failed too: whether either was committed is unknown
   */
  Optional<JdbcAuditLog.Chained> resend(Connection c) throws SQLException {
    JdbcAuditLog.Chained batch = unanswered;
    if (batch == null) {
      return Optional.empty();
    }
    int inserted = exchange(c, batch);
    unanswered = null;
    if (inserted == 0 && stored(c, batch.last())) {
      remember(batch.last());
      return Optional.of(batch);
    }
    return settled(batch, inserted);
  }

  /**
   * Sends the chain lock and the conditional insert of {@code batch} as one exchange.
   *
   * @return how many records it inserted: all, or none when the record they follow is no longer the
   *     newest
   */
  private static int exchange(Connection c, JdbcAuditLog.Chained batch) throws SQLException {
    List<AuditRecord> records = batch.records();
    try (PreparedStatement ps = c.prepareStatement(SQL)) {
      ps.setLong(1, JdbcAuditLog.CHAIN_LOCK);
      bindColumns(c, ps, 2, records);
      ps.setLong(14, records.get(0).seq() - 1);
      ps.setBytes(15, batch.previous());
      ps.execute();
      ps.getMoreResults();
      return ps.getUpdateCount();
    }
  }

  /** {@code batch} once {@code inserted} of its records are committed. */
  private Optional<JdbcAuditLog.Chained> settled(JdbcAuditLog.Chained batch, int inserted)
      throws SQLException {
    if (inserted == 0) {
      forget();
      return Optional.empty();
    }
    if (inserted != batch.records().size()) {
      forget();
      throw new SQLException(
          "the audit insert wrote " + inserted + " of " + batch.records().size() + " records");
    }
    remember(batch.last());
    return Optional.of(batch);
  }

  /** Whether {@code record} is stored: its sequence number holds its MAC. */
  private static boolean stored(Connection c, AuditRecord record) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT mac FROM audit WHERE seq = ?")) {
      ps.setLong(1, record.seq());
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        return rs.next() && java.security.MessageDigest.isEqual(rs.getBytes(1), record.mac());
      }
    }
  }

  /** Binds the twelve columns of {@code records} as arrays, from parameter {@code first} on. */
  private static void bindColumns(
      Connection c, PreparedStatement ps, int first, List<AuditRecord> records)
      throws SQLException {
    int n = records.size();
    Long[] seq = new Long[n];
    Long[] time = new Long[n];
    String[] tokenId = new String[n];
    String[] client = new String[n];
    String[] action = new String[n];
    String[] secret = new String[n];
    Integer[] version = new Integer[n];
    String[] result = new String[n];
    String[] detail = new String[n];
    String[] keyId = new String[n];
    byte[][] mac = new byte[n][];
    String[] generations = new String[n];
    for (int i = 0; i < n; i++) {
      AuditRecord r = records.get(i);
      AuditEvent e = r.event();
      seq[i] = r.seq();
      time[i] = e.time().toEpochMilli();
      tokenId[i] = e.tokenId();
      client[i] = e.client();
      action[i] = e.action();
      secret[i] = e.secret().orElse(null);
      version[i] = e.version().orElse(null);
      result[i] = e.result();
      detail[i] = e.detail();
      keyId[i] = r.keyId();
      mac[i] = r.mac();
      generations[i] = e.generations().isEmpty() ? null : Generations.encode(e.generations());
    }
    ps.setArray(first, c.createArrayOf("int8", seq));
    ps.setArray(first + 1, c.createArrayOf("int8", time));
    ps.setArray(first + 2, c.createArrayOf("text", tokenId));
    ps.setArray(first + 3, c.createArrayOf("text", client));
    ps.setArray(first + 4, c.createArrayOf("text", action));
    ps.setArray(first + 5, c.createArrayOf("text", secret));
    ps.setArray(first + 6, c.createArrayOf("int4", version));
    ps.setArray(first + 7, c.createArrayOf("text", result));
    ps.setArray(first + 8, c.createArrayOf("text", detail));
    ps.setArray(first + 9, c.createArrayOf("text", keyId));
    ps.setArray(first + 10, c.createArrayOf("bytea", mac));
    ps.setArray(first + 11, c.createArrayOf("text", generations));
  }
}
