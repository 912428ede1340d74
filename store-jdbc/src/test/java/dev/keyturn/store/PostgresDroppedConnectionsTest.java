package dev.keyturn.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.keyturn.core.KeyturnException;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.Selector;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.audit.AuditVerifier;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.FixedClock;
import dev.keyturn.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL drops every connection of the store's pool ({@code pg_terminate_backend}, as a restart
 * or an operator does): the next audit append, read and write each succeed, on new connections, and
 * the audit chain holds each record once. A write whose commit loses its connection fails, and is
 * not run again: whether it was committed is unknown.
 *
 * <p>The pool checks a connection before handing it out only when it has been idle for half a
 * second (HikariCP's {@code aliveBypassWindowMs}); connections of a busy pool never are, and are
 * handed out dead. The store here is opened with that check off, so that every connection is handed
 * out unchecked, whatever the time the termination took on this machine.
 */
class PostgresDroppedConnectionsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final SecretName NAME = SecretName.of("app/prod/API_KEY");
  private static final String BYPASS = "com.zaxxer.hikari.aliveBypassWindowMs";

  private final SecureRandom random = new SecureRandom();
  private final RootKey key = RootKey.generate(random);
  private final AuditChain chain = new AuditChain(key);
  private final String schema =
      "kt_dropped_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
  private String baseUrl;
  private JdbcStore store;
  private AuditLog audit;
  private SecretService secrets;

  @BeforeEach
  void open() {
    baseUrl = TestServices.postgresUrl();
    execute("CREATE SCHEMA " + schema);
    // The application name marks this store's connections: only they are terminated.
    String url =
        baseUrl
            + (baseUrl.contains("?") ? "&" : "?")
            + "currentSchema="
            + schema
            + "&ApplicationName="
            + schema;
    String before = System.getProperty(BYPASS);
    System.setProperty(BYPASS, Long.toString(Duration.ofDays(1).toMillis()));
    try {
      store = JdbcStore.open(url, new FixedClock(T0));
    } finally {
      if (before == null) {
        System.clearProperty(BYPASS);
      } else {
        System.setProperty(BYPASS, before);
      }
    }
    audit = store.openAuditLog(chain);
    Envelope envelope = new Envelope(key, random);
    store.protect(envelope);
    secrets = new SecretService(store, envelope, new FixedClock(T0));
    secrets.inTransaction(work -> {
      secrets.put(
          work,
          NAME,
          Plaintext.ofUtf8("canary-value"),
          ValueType.STRING,
          Duration.ZERO,
          Stage.CURRENT,
          "tok");
      return null;
    });
  }

  @AfterEach
  void close() {
    if (store != null) {
      audit.close();
      store.close();
    }
    if (baseUrl != null) {
      execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  @Test
  void append_afterTheServerDroppedThePoolsConnections_isStoredOnceOnANewOne() throws Exception {
    audit.append(List.of(event("before")));
    terminateThePoolsConnections();

    audit.append(List.of(event("after")));

    assertThat(secretsAudited()).containsExactly("before", "after");
    assertThat(new AuditVerifier(chain).verify(audit, Optional.empty()).ok()).isTrue();
  }

  @Test
  void firstAppend_afterTheServerDroppedThePoolsConnections_isStoredOnceOnANewOne()
      throws Exception {
    // A writer that has written nothing yet (a node just started) chains its first batch after
    // the head it reads under the chain lock, in a transaction.
    audit.close();
    audit = store.openAuditLog(chain);
    terminateThePoolsConnections();

    audit.append(List.of(event("after")));

    assertThat(secretsAudited()).containsExactly("after");
    assertThat(new AuditVerifier(chain).verify(audit, Optional.empty()).ok()).isTrue();
  }

  @Test
  void reads_afterTheServerDroppedThePoolsConnections_succeed() throws Exception {
    terminateThePoolsConnections();

    for (int i = 0; i < 20; i++) {
      assertThat(
              new String(
                  secrets.read(NAME, Selector.current(), false).plaintext().reveal(),
                  StandardCharsets.UTF_8))
          .isEqualTo("canary-value");
    }
  }

  @Test
  void write_afterTheServerDroppedThePoolsConnections_succeeds() throws Exception {
    terminateThePoolsConnections();

    store.rotations().putRule(RotationRule.builder(NAME).owner("team-a").build(), Optional.empty());

    assertThat(store.rotations().rule(NAME).orElseThrow().rule().owner()).isEqualTo("team-a");
  }

  @Test
  void write_whoseCommitLosesItsConnection_failsAndIsNotRunAgain() throws Exception {
    // At its commit, the write's session is terminated: whether it committed is unknown to the
    // store (here it did not), so running it again could write it twice.
    execute("CREATE SEQUENCE " + schema + ".commits");
    execute(
        "CREATE FUNCTION "
            + schema
            + ".drop_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " PERFORM nextval('"
            + schema
            + ".commits'); PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$");
    execute(
        "CREATE CONSTRAINT TRIGGER drop_at_commit AFTER INSERT OR UPDATE ON "
            + schema
            + ".rules DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "
            + schema
            + ".drop_at_commit()");
    RotationRule rule = RotationRule.builder(NAME).owner("team-a").build();

    assertThatThrownBy(() -> store.rotations().putRule(rule, Optional.empty()))
        .isInstanceOf(KeyturnException.Unavailable.class);

    assertThat(commitsTried()).as("commits tried").isEqualTo(1);
    execute("DROP TRIGGER drop_at_commit ON " + schema + ".rules");
    store.rotations().putRule(rule, Optional.empty());
    assertThat(store.rotations().rule(NAME)).isPresent();
  }

  private long commitsTried() {
    try (Connection c = DriverManager.getConnection(baseUrl);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT last_value FROM " + schema + ".commits")) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException("the sequence could not be read", e);
    }
  }

  private List<String> secretsAudited() {
    return audit
        .query(
            new AuditQuery(
                Optional.empty(),
                Optional.empty(),
                Optional.of("test.append"),
                Optional.empty(),
                100))
        .stream()
        .map(r -> r.event().detail())
        .toList();
  }

  private static AuditEvent event(String detail) {
    return new AuditEvent(
        T0,
        "tok",
        "test",
        "test.append",
        Optional.of(NAME.value()),
        Optional.empty(),
        "ok",
        detail);
  }

  /**
   * Terminates every connection of the store's pool, once the pool has opened all it keeps (it
   * opens no more until it finds one dead), and waits until the server has let go of them.
   */
  private void terminateThePoolsConnections() throws Exception {
    com.zaxxer.hikari.HikariPoolMXBean pool =
        ((com.zaxxer.hikari.HikariDataSource) store.dataSource()).getHikariPoolMXBean();
    Eventually.waitFor(Duration.ofSeconds(30), () -> pool.getTotalConnections() == 16);
    Eventually.waitFor(Duration.ofSeconds(30), () -> poolConnections() == 16);

    execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"
            + schema
            + "'");

    Eventually.waitFor(Duration.ofSeconds(30), () -> poolConnections() == 0);
  }

  private int poolConnections() {
    try (Connection c = DriverManager.getConnection(baseUrl);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
                    + schema
                    + "'")) {
      rs.next();
      return rs.getInt(1);
    } catch (Exception e) {
      throw new IllegalStateException("pg_stat_activity could not be read", e);
    }
  }

  private void execute(String sql) {
    try (Connection c = DriverManager.getConnection(baseUrl);
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql + " failed", e);
    }
  }
}
