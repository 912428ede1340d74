package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.core.spi.AuditRecord;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.TestServices;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Audit batches on PostgreSQL in one round trip ({@link OneTripAppend}): what they write reads back
 * as it was sealed, and a batch whose remembered head is no longer the newest record (another
 * node's records, a write transaction's, a truncated tail) inserts nothing and is chained after the
 * real head, so the chain never forks or skips.
 */
class PostgresAuditAppendTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final AuditQuery ALL =
      new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 1000);

  private final AuditChain chain = new AuditChain(RootKey.generate(new SecureRandom()));
  private final String schema =
      "kt_append_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
  private String baseUrl;
  private String url;

  private JdbcStore store() {
    if (url == null) {
      baseUrl = TestServices.postgresUrl();
      execute(baseUrl, "CREATE SCHEMA " + schema);
      url = baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }
    return JdbcStore.open(url, new FixedClock(T0));
  }

  @AfterEach
  void dropSchema() {
    if (url != null) {
      execute(baseUrl, "DROP SCHEMA " + schema + " CASCADE");
    }
  }

  @Test
  void append_afterTheRememberedHead_insertsInOneExchange_andTheChainVerifies() throws Exception {
    try (JdbcStore store = store();
        AuditLog log = store.openAuditLog(chain);
        Connection c = DriverManager.getConnection(url)) {
      log.append(List.of(event("first", "read")));
      OneTripAppend oneTrip = new OneTripAppend();
      oneTrip.remember(log.head().orElseThrow());

      Optional<JdbcAuditLog.Chained> chained =
          oneTrip.append(c, chain, List.of(event("a", "read"), event("b", "write")));

      assertThat(chained).isPresent();
      assertThat(chained.get().records()).extracting(AuditRecord::seq).containsExactly(2L, 3L);
      assertThat(log.query(ALL))
          .extracting(r -> r.seq() + " " + r.event().secret().orElse("-"))
          .containsExactly("1 first", "2 a", "3 b");
      assertVerifies(log, 3);
    }
  }

  @Test
  void append_awkwardTextInEveryField_readsBackAsSealed() throws Exception {
    List<String> awkward =
        List.of(
            "NULL",
            "null",
            "",
            "a\"b",
            "back\\slash",
            "{braces,and,commas}",
            " spaced ",
            "it's",
            "tab\tand\nnewline",
            "\u00e9\u2028\ud83d\udd11",
            "ARRAY[1]");
    try (JdbcStore store = store();
        AuditLog log = store.openAuditLog(chain);
        Connection c = DriverManager.getConnection(url)) {
      log.append(List.of(event("first", "read")));
      OneTripAppend oneTrip = new OneTripAppend();
      oneTrip.remember(log.head().orElseThrow());
      List<AuditEvent> events =
          awkward.stream()
              .map(s ->
                  new AuditEvent(
                      T0.plusNanos(123_456_789),
                      s,
                      s,
                      s,
                      Optional.of(s),
                      Optional.of(7),
                      s,
                      s,
                      Map.of("secret:" + s.replace('\n', ' '), 4L)))
              .toList();
      List<AuditEvent> absent =
          List.of(
              new AuditEvent(
                  T0,
                  "-",
                  "store",
                  "integrity.write",
                  Optional.empty(),
                  Optional.empty(),
                  "ok",
                  ""));

      assertThat(oneTrip.append(c, chain, events)).isPresent();
      assertThat(oneTrip.append(c, chain, absent)).isPresent();

      List<AuditRecord> read = log.query(ALL);
      assertThat(read.subList(1, read.size()))
          .extracting(AuditRecord::event)
          .containsExactlyElementsOf(
              java.util.stream.Stream.concat(events.stream(), absent.stream())
                  .map(AuditEvent::truncatedToMillis)
                  .toList());
      assertVerifies(log, 1 + awkward.size() + 1);
    }
  }

  @Test
  void append_afterAnotherNodeMovedTheHead_insertsNothing_andTheLogChainsAfterIt()
      throws Exception {
    try (JdbcStore a = store();
        JdbcStore b = store();
        AuditLog onA = a.openAuditLog(chain);
        AuditLog onB = b.openAuditLog(chain);
        Connection c = DriverManager.getConnection(url)) {
      onA.append(List.of(event("a1", "read")));
      OneTripAppend oneTrip = new OneTripAppend();
      oneTrip.remember(onA.head().orElseThrow());
      onB.append(List.of(event("b1", "read")));

      assertThat(oneTrip.append(c, chain, List.of(event("stale", "read")))).isEmpty();
      assertThat(oneTrip.append(c, chain, List.of(event("forgotten", "read"))))
          .as("the head is forgotten until the caller remembers one")
          .isEmpty();

      onA.append(List.of(event("a2", "read")));
      onB.append(List.of(event("b2", "read")));
      onA.append(List.of(event("a3", "read")));
      a.inTransaction(unit -> {
        unit.audit().append(List.of(event("a-unit", "write")));
        return null;
      });
      onA.append(List.of(event("a4", "read")));

      assertThat(onB.query(ALL))
          .extracting(r -> r.seq() + " " + r.event().secret().orElse("-"))
          .containsExactly("1 a1", "2 b1", "3 a2", "4 b2", "5 a3", "6 a-unit", "7 a4");
      assertVerifies(onB, 7);
    }
  }

  @Test
  void append_afterTheTailWasTruncated_followsTheNewHeadWithoutAGap() {
    try (JdbcStore store = store();
        AuditLog log = store.openAuditLog(chain)) {
      for (int i = 1; i <= 3; i++) {
        log.append(List.of(event("r" + i, "read")));
      }
      execute(url, "DELETE FROM audit WHERE seq = 3");

      log.append(List.of(event("after", "read")));
      log.append(List.of(event("later", "read")));

      assertThat(log.query(ALL))
          .extracting(r -> r.seq() + " " + r.event().secret().orElse("-"))
          .containsExactly("1 r1", "2 r2", "3 after", "4 later");
      assertVerifies(log, 4);
    }
  }

  @Test
  void unwritableAudit_failsTheAppend_andNothingOfItIsKept() {
    try (JdbcStore store = store();
        AuditLog log = store.openAuditLog(chain)) {
      log.append(List.of(event("before", "read")));
      log.append(List.of(event("remembered", "read")));
      execute(
          url,
          "CREATE FUNCTION audit_unwritable() RETURNS trigger LANGUAGE plpgsql AS"
              + " $$ BEGIN RAISE EXCEPTION 'audit store unwritable'; END $$");
      execute(
          url,
          "CREATE TRIGGER audit_unwritable BEFORE INSERT ON audit"
              + " FOR EACH ROW EXECUTE FUNCTION audit_unwritable()");

      assertThatThrownBy(() -> log.append(List.of(event("refused", "read"))))
          .isInstanceOf(KeyturnException.Unavailable.class);
      assertThatThrownBy(() -> log.append(List.of(event("refused-too", "read"))))
          .isInstanceOf(KeyturnException.Unavailable.class);
      execute(url, "DROP TRIGGER audit_unwritable ON audit");
      log.append(List.of(event("after", "read")));
      log.append(List.of(event("later", "read")));

      assertThat(log.query(ALL))
          .extracting(r -> r.seq() + " " + r.event().secret().orElse("-"))
          .containsExactly("1 before", "2 remembered", "3 after", "4 later");
      assertVerifies(log, 4);
    }
  }

  @Test
  void resend_afterAnExchangeCommittedWhoseAnswerWasLost_findsTheRecordsStoredOnce()
      throws Exception {
    try (JdbcStore store = store();
        AuditLog log = store.openAuditLog(chain);
        Connection dropped = DriverManager.getConnection(url);
        Connection fresh = DriverManager.getConnection(url)) {
      log.append(List.of(event("first", "read")));
      OneTripAppend oneTrip = new OneTripAppend();
      oneTrip.remember(log.head().orElseThrow());
      assertThatThrownBy(() ->
              oneTrip.append(
                  DroppedAt.answer(dropped),
                  chain,
                  List.of(event("a", "read"), event("b", "read"))))
          .isInstanceOf(SQLException.class);

      Optional<JdbcAuditLog.Chained> resent = oneTrip.resend(fresh);

      assertThat(resent).isPresent();
      assertThat(resent.get().records()).extracting(AuditRecord::seq).containsExactly(2L, 3L);
      assertThat(oneTrip.append(fresh, chain, List.of(event("c", "read"))))
          .as("the head is the batch's last record")
          .isPresent();
      assertThat(log.query(ALL))
          .extracting(r -> r.seq() + " " + r.event().secret().orElse("-"))
          .containsExactly("1 first", "2 a", "3 b", "4 c");
      assertVerifies(log, 4);
    }
  }

  @Test
  void resend_afterAnExchangeThatNeverReachedTheServer_storesTheRecords() throws Exception {
    try (JdbcStore store = store();
        AuditLog log = store.openAuditLog(chain);
        Connection dropped = DriverManager.getConnection(url);
        Connection fresh = DriverManager.getConnection(url)) {
      log.append(List.of(event("first", "read")));
      OneTripAppend oneTrip = new OneTripAppend();
      oneTrip.remember(log.head().orElseThrow());
      assertThatThrownBy(
              () -> oneTrip.append(DroppedAt.request(dropped), chain, List.of(event("a", "read"))))
          .isInstanceOf(SQLException.class);

      Optional<JdbcAuditLog.Chained> resent = oneTrip.resend(fresh);

      assertThat(resent).isPresent();
      assertThat(log.query(ALL))
          .extracting(r -> r.seq() + " " + r.event().secret().orElse("-"))
          .containsExactly("1 first", "2 a");
      assertVerifies(log, 2);
    }
  }

  @Test
  void resend_whenAnotherNodesRecordsFollowTheHead_storesNothing_andForgetsTheHead()
      throws Exception {
    try (JdbcStore a = store();
        JdbcStore b = store();
        AuditLog onA = a.openAuditLog(chain);
        AuditLog onB = b.openAuditLog(chain);
        Connection dropped = DriverManager.getConnection(url);
        Connection fresh = DriverManager.getConnection(url)) {
      onA.append(List.of(event("a1", "read")));
      OneTripAppend oneTrip = new OneTripAppend();
      oneTrip.remember(onA.head().orElseThrow());
      assertThatThrownBy(() ->
              oneTrip.append(DroppedAt.request(dropped), chain, List.of(event("lost", "read"))))
          .isInstanceOf(SQLException.class);
      onB.append(List.of(event("b1", "read")));

      Optional<JdbcAuditLog.Chained> resent = oneTrip.resend(fresh);

      assertThat(resent).isEmpty();
      assertThat(oneTrip.append(fresh, chain, List.of(event("forgotten", "read")))).isEmpty();
      assertThat(onB.query(ALL))
          .extracting(r -> r.seq() + " " + r.event().secret().orElse("-"))
          .containsExactly("1 a1", "2 b1");
      assertVerifies(onB, 2);
    }
  }

  /**
   * A connection that PostgreSQL drops during the one-trip exchange: before the request reaches it,
   * or after it committed and before its answer arrives. Drops only that statement's exchange.
   */
  private static final class DroppedAt {
    static Connection request(Connection c) {
      return dropping(c, false);
    }

    static Connection answer(Connection c) {
      return dropping(c, true);
    }

    private static Connection dropping(Connection c, boolean afterExecuting) {
      return proxy(
          Connection.class,
          (proxy, method, args) -> {
            Object out = invoke(c, method, args);
            return method.getName().equals("prepareStatement")
                ? proxy(
                    java.sql.PreparedStatement.class,
                    (p, m, a) -> {
                      if (m.getName().equals("execute")) {
                        if (afterExecuting) {
                          invoke(out, m, a);
                        }
                        throw new SQLException(
                            "An I/O error occurred while sending to the backend.", "08006");
                      }
                      return invoke(out, m, a);
                    })
                : out;
          });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
        throws Throwable {
      try {
        return method.invoke(target, args);
      } catch (java.lang.reflect.InvocationTargetException e) {
        throw e.getCause();
      }
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, java.lang.reflect.InvocationHandler handler) {
      return (T)
          java.lang.reflect.Proxy.newProxyInstance(
              DroppedAt.class.getClassLoader(), new Class<?>[] {type}, handler);
    }
  }

  private void assertVerifies(AuditLog log, long records) {
    AuditVerifier.Result result = new AuditVerifier(chain).verify(log, Optional.empty());
    assertThat(result.ok()).as(result.problem().toString()).isTrue();
    assertThat(result.records()).isEqualTo(records);
  }

  private static AuditEvent event(String secret, String action) {
    return new AuditEvent(
        T0, "tok", "test", "secret." + action, Optional.of(secret), Optional.of(1), "ok", "");
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url)) {
      c.createStatement().execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + " failed", e);
    }
  }
}
