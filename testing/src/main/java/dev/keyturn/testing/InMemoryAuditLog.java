package dev.keyturn.testing;

import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.core.spi.AuditRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** An {@link AuditLog} in memory, chained like the real one. Thread-safe. */
public final class InMemoryAuditLog implements AuditLog {
  private final AuditChain chain;
  private final List<AuditRecord> records;
  private final Object lock;

  public InMemoryAuditLog(AuditChain chain) {
    this(chain, new ArrayList<>(), new Object());
  }

  /**
   * A log over {@code records}, which outlives it (as a table outlives a connection), guarded by
   * {@code lock}.
   */
  InMemoryAuditLog(AuditChain chain, List<AuditRecord> records, Object lock) {
    this.chain = chain;
    this.records = records;
    this.lock = lock;
  }

  @Override
  public void append(List<AuditEvent> events) {
    synchronized (lock) {
      appendTo(records, chain, events);
    }
  }

  /** Chains {@code events} onto {@code records}; the caller holds their lock. */
  static void appendTo(List<AuditRecord> records, AuditChain chain, List<AuditEvent> events) {
    byte[] previous = records.isEmpty() ? AuditChain.GENESIS : records.getLast().mac();
    for (AuditEvent e : events) {
      AuditEvent truncated = e.truncatedToMillis();
      AuditRecord record = chain.seal(records.size() + 1, truncated, previous);
      records.add(record);
      previous = record.mac();
    }
  }

  @Override
  public CompletableFuture<Void> appendAsync(List<AuditEvent> events) {
    append(events);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public List<AuditRecord> query(AuditQuery q) {
    List<AuditRecord> out =
        records().stream()
            .filter(r -> q.since().map(t -> !r.event().time().isBefore(t)).orElse(true))
            .filter(
                r -> q.secret().map(s -> r.event().secret().equals(Optional.of(s))).orElse(true))
            .filter(r -> q.action().map(a -> r.event().action().equals(a)).orElse(true))
            .filter(r -> q.afterSeq().map(s -> r.seq() > s).orElse(true))
            .filter(r -> q.outcome().map(o -> o.matches(r.event().result())).orElse(true))
            .filter(r -> q.tokenId().map(t -> r.event().tokenId().equals(t)).orElse(true))
            .filter(r ->
                q.within().isEmpty()
                    || r.event()
                        .secret()
                        .map(s ->
                            q.within().stream()
                                .anyMatch(g ->
                                    new dev.keyturn.core.Grant(dev.keyturn.core.Capability.READ, g)
                                        .allows(dev.keyturn.core.Capability.READ, s)))
                        .orElse(false))
            .toList();
    return out.subList(Math.max(0, out.size() - q.limit()), out.size());
  }

  @Override
  public void scan(Consumer<AuditRecord> sink) {
    records().forEach(sink);
  }

  @Override
  public Optional<AuditRecord> head() {
    List<AuditRecord> all = records();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
  }

  /** Every record so far, for assertions. */
  public List<AuditRecord> records() {
    synchronized (lock) {
      return List.copyOf(records);
    }
  }

  @Override
  public void close() {}
}
