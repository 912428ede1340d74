package dev.keyturn.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.Stage;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.AuditQuery;
import dev.keyturn.store.JdbcStore;
import dev.keyturn.testing.Eventually;
import dev.keyturn.testing.FixedClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's periodic integrity sweep on a real SQLite store: a rule row edited out of the due
 * query (due date NULL) is found with no read of it, named in the log's figures, the metrics, the
 * audit log and one notification, never with a value; a sound store sweeps clean.
 */
class IntegritySweeperTest {
  private static final String CANARY = "canary-sweep-8d41";
  private static final SecretName NAME = SecretName.of("app/prod/API_KEY");

  @TempDir Path dir;
  private final SecureRandom random = new SecureRandom();
  private final FixedClock clock = new FixedClock(Instant.parse("2026-11-28T00:00:00Z"));
  private final List<String> notifications = new CopyOnWriteArrayList<>();
  private JdbcStore store;
  private AuditLog audit;
  private HttpServer receiver;
  private PrometheusMeterRegistry registry;
  private IntegritySweeper sweeper;

  @BeforeEach
  void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/",
        exchange -> {
          notifications.add(
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    receiver.start();
    store = JdbcStore.open("jdbc:sqlite:" + dir.resolve("keyturn.db"), clock);
    RootKey root = RootKey.generate(random);
    audit = store.openAuditLog(new AuditChain(root));
    Envelope envelope = new Envelope(root, random);
    store.protect(envelope);
    SecretService secrets = new SecretService(store, envelope, clock);
    secrets.inTransaction(work -> {
      secrets.put(
          work,
          NAME,
          Plaintext.ofUtf8(CANARY),
          ValueType.STRING,
          Duration.ZERO,
          Stage.CURRENT,
          "t");
      work.rotations()
          .putRule(
              RotationRule.builder(NAME).build(), Optional.of(clock.instant().plusSeconds(60)));
      return null;
    });
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Notifier notifier =
        new Notifier(
            Optional.of("http://127.0.0.1:" + receiver.getAddress().getPort() + "/notify"),
            Optional.empty(),
            secrets,
            audit,
            clock);
    sweeper = new IntegritySweeper(store, notifier, clock, registry);
  }

  @AfterEach
  void stop() {
    sweeper.close();
    audit.close();
    store.close();
    receiver.stop(0);
  }

  @Test
  void soundStore_sweepsClean_andSaysWhen() {
    assertThat(scrape().value("keyturn_integrity_sweep_last_success_timestamp_seconds")).isZero();

    sweeper.sweep();

    Scrape scrape = scrape();
    assertThat(scrape.value("keyturn_integrity_sweep_rows"))
        .isEqualTo(2); // the secret and its rule (no token)
    assertThat(scrape.value("keyturn_integrity_sweep_failed_rows")).isZero();
    assertThat(scrape.value("keyturn_integrity_sweep_last_success_timestamp_seconds"))
        .isEqualTo(clock.instant().getEpochSecond());
    assertThat(notifications).isEmpty();
  }

  @Test
  void ruleEditedOutOfTheDueQuery_isFoundWithoutAnyRead_auditedAndAnnounced() throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("keyturn.db"));
        Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE rules SET next_due = NULL, start_at = NULL");
    }
    clock.advance(Duration.ofMinutes(5));
    assertThat(store.rotations().dueRules(clock.instant(), 10)).isEmpty(); // it dropped out

    sweeper.sweep();

    assertThat(scrape().value("keyturn_integrity_sweep_failed_rows")).isEqualTo(1);
    Eventually.waitFor(Duration.ofSeconds(10), () -> !notifications.isEmpty());
    assertThat(notifications.get(0))
        .contains("\"event\":\"integrity.fail\"", "rule of " + NAME.value())
        .doesNotContain(CANARY);
    Eventually.waitFor(
        Duration.ofSeconds(10),
        () ->
            !audit
                .query(
                    new AuditQuery(
                        Optional.empty(),
                        Optional.of(NAME.value()),
                        Optional.of("integrity.fail"),
                        Optional.empty(),
                        10))
                .isEmpty());
  }

  private Scrape scrape() {
    return Scrape.parse(registry.scrape());
  }
}
