package dev.keyturn.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.keyturn.core.Consumer;
import dev.keyturn.core.Generator;
import dev.keyturn.core.Plaintext;
import dev.keyturn.core.Rotation;
import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.RotationRule;
import dev.keyturn.core.RotationState;
import dev.keyturn.core.Schedule;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.SecretService;
import dev.keyturn.core.SecretValue;
import dev.keyturn.core.Stage;
import dev.keyturn.core.StatusBoard;
import dev.keyturn.core.Strategy;
import dev.keyturn.core.ValueType;
import dev.keyturn.core.audit.AuditChain;
import dev.keyturn.core.crypto.Envelope;
import dev.keyturn.core.crypto.RootKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Consumer-aware retirement on the engine's fake clock (issue 18 item 2): a previous version past
 * its grace window stays while a live consumer uses it, until the consumer moves, goes stale or the
 * consumer deadline passes; emergencies wait for nobody; {@code --propagation consumers:D} and
 * alternating users wait for consumers before {@code set}.
 */
class ConsumerRetirementTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final SecretName NAME = SecretName.of("leather-api/production/REVALIDATE_SECRET");
  private static final Duration GRACE = Duration.ofHours(1);
  private static final Duration TTL = Duration.ofSeconds(90);

  private final FixedClock clock = new FixedClock(T0);
  private final SecureRandom random = new SecureRandom();
  private final InMemoryStore store = new InMemoryStore(clock);
  private final SecretService secrets =
      new SecretService(store, new Envelope(RootKey.generate(random), random), clock);
  private final InMemoryAuditLog audit =
      store.openAuditLog(new AuditChain(RootKey.generate(random)));
  private final FakeTarget target = new FakeTarget(Optional.of("initial"));
  private final RotationEngine engine =
      new RotationEngine(
          secrets,
          store.rotations(),
          Map.of("fake", target),
          Map.of(),
          audit,
          clock,
          random,
          "node-test",
          r -> {});
  private final StatusBoard board = new StatusBoard(store.rotations(), secrets, clock);

  private static RotationRule.Builder rule(Strategy strategy) {
    return RotationRule.builder(NAME)
        .generator(Generator.parse(strategy == Strategy.OVERLAP ? "hex:32" : "password:24"))
        .schedule(Optional.of(Schedule.of("90d", "UTC")))
        .grace(GRACE)
        .strategy(strategy)
        .targetType("fake")
        .attempts(1);
  }

  private void setUp(RotationRule rule) {
    secrets.inTransaction(w ->
        secrets.put(
            w,
            NAME,
            Plaintext.ofUtf8("initial"),
            ValueType.STRING,
            Duration.ZERO,
            Stage.CURRENT,
            "tok"));
    store.rotations().putRule(rule, Optional.of(T0.plus(Duration.ofDays(90))));
  }

  /**
   * A heartbeat now of consumer {@code id}, using {@code using} and accepting {@code accepting}.
   */
  private void heartbeat(String id, int using, Integer... accepting) {
    Instant now = clock.instant();
    Consumer old = store.consumers().consumer(id).orElse(null);
    store
        .consumers()
        .save(
            new Consumer(
                id,
                "tok_app",
                "web-1: gunicorn",
                Consumer.Kind.AGENT,
                List.of(new Consumer.Holding(NAME, using, List.of(accepting))),
                TTL,
                old == null ? now : old.registeredAt(),
                now));
  }

  private Stage stage(int version) {
    return secrets.describe(NAME).versions().version(version).orElseThrow().stage();
  }

  private List<Integer> keyring() {
    return secrets.keyring(NAME).stream().map(SecretValue::version).map(v -> v.number()).toList();
  }

  private StatusBoard.Row row() {
    return board.rows("leather-api/", n -> true).get(0);
  }

  /** v2 current, v1 previous until T0 + GRACE, and a consumer still using v1. */
  private void rotatedWithConsumerOnV1(RotationRule rule) {
    setUp(rule);
    heartbeat("web-1", 1);
    Rotation r = engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());
    assertThat(r.state()).isEqualTo(RotationState.FINISHED);
    assertThat(stage(1)).isEqualTo(Stage.PREVIOUS);
  }

  @Test
  void retirement_heldByALiveConsumer_untilItMovesToTheNewVersion() {
    rotatedWithConsumerOnV1(rule(Strategy.OVERLAP).build());
    clock.advance(GRACE.plusMinutes(1));
    heartbeat("web-1", 1);

    engine.retireExpired(NAME);

    assertThat(stage(1)).isEqualTo(Stage.PREVIOUS);
    assertThat(keyring()).containsExactly(2, 1);
    assertThat(secrets.holds(NAME).heldBy(1)).containsExactly("web-1");
    assertThat(row().state()).isEqualTo(StatusBoard.State.WAITING);
    assertThat(row().waitingFor()).containsExactly("web-1");

    clock.advance(Duration.ofSeconds(30));
    heartbeat("web-1", 2, 2, 1);
    engine.retireExpired(NAME);

    assertThat(stage(1)).isEqualTo(Stage.RETIRED);
    assertThat(keyring()).containsExactly(2);
    assertThat(row().state()).isEqualTo(StatusBoard.State.OK);
    assertThat(audit.records())
        .anySatisfy(rec -> {
          assertThat(rec.event().action()).isEqualTo("version.stage");
          assertThat(rec.event().version()).contains(1);
          assertThat(rec.event().detail()).isEqualTo("previous->retired");
        })
        .noneSatisfy(rec -> assertThat(rec.event().action()).isEqualTo("consumer.deadline"));
  }

  @Test
  void retirement_heldConsumer_goesStale_retiresOnceItsTtlPasses() {
    rotatedWithConsumerOnV1(rule(Strategy.OVERLAP).build());
    clock.advance(GRACE.plusMinutes(1));
    heartbeat("web-1", 1);
    engine.retireExpired(NAME);
    assertThat(stage(1)).isEqualTo(Stage.PREVIOUS);

    clock.advance(TTL.plusSeconds(1));
    engine.retireExpired(NAME);

    assertThat(stage(1)).isEqualTo(Stage.RETIRED);
    assertThat(keyring()).containsExactly(2);
  }

  @Test
  void retirement_consumerThatNeverMoves_retiresAtTheDefaultDeadlineOfOneMoreGrace() {
    rotatedWithConsumerOnV1(rule(Strategy.OVERLAP).build());
    Instant acceptUntil =
        secrets.describe(NAME).versions().version(1).orElseThrow().acceptUntil().orElseThrow();

    clock.set(acceptUntil.plus(GRACE).minusSeconds(1));
    heartbeat("web-1", 1);
    engine.retireExpired(NAME);
    assertThat(stage(1)).isEqualTo(Stage.PREVIOUS);

    clock.advance(Duration.ofSeconds(2));
    heartbeat("web-1", 1);
    engine.retireExpired(NAME);

    assertThat(stage(1)).isEqualTo(Stage.RETIRED);
    assertThat(audit.records())
        .anySatisfy(rec -> {
          assertThat(rec.event().action()).isEqualTo("consumer.deadline");
          assertThat(rec.event().version()).contains(1);
          assertThat(rec.event().detail()).contains("still used by web-1");
        });
  }

  @Test
  void retirement_ruleWithConsumerDeadline_retiresAtThatDeadline() {
    rotatedWithConsumerOnV1(
        rule(Strategy.OVERLAP).consumerDeadline(Optional.of(Duration.ofMinutes(10))).build());
    Instant acceptUntil =
        secrets.describe(NAME).versions().version(1).orElseThrow().acceptUntil().orElseThrow();

    clock.set(acceptUntil.plus(Duration.ofMinutes(9)));
    heartbeat("web-1", 1);
    engine.retireExpired(NAME);
    assertThat(stage(1)).isEqualTo(Stage.PREVIOUS);

    clock.set(acceptUntil.plus(Duration.ofMinutes(10)));
    heartbeat("web-1", 1);
    engine.retireExpired(NAME);

    assertThat(stage(1)).isEqualTo(Stage.RETIRED);
  }

  @Test
  void retirement_consumerUsingAnotherVersionOrAnotherSecret_holdsNothing() {
    rotatedWithConsumerOnV1(rule(Strategy.OVERLAP).build());
    store.consumers().remove("web-1");
    clock.advance(GRACE.plusMinutes(1));
    heartbeat("web-2", 2, 1);
    store
        .consumers()
        .save(
            new Consumer(
                "other",
                "tok_app",
                "n",
                Consumer.Kind.RUN,
                List.of(
                    new Consumer.Holding(SecretName.of("leather-api/production/X"), 1, List.of())),
                TTL,
                clock.instant(),
                clock.instant()));

    engine.retireExpired(NAME);

    assertThat(stage(1)).isEqualTo(Stage.RETIRED);
  }

  @Test
  void emergency_retiresTheVersionAConsumerUsesAtOnce() {
    setUp(
        rule(Strategy.OVERLAP)
            .propagation(Duration.ofMinutes(10))
            .propagationWaitsForConsumers(true)
            .build());
    heartbeat("web-1", 1, 1);

    Rotation r = engine.runDue(engine.start(NAME, Optional.empty(), true, "tok").id());

    assertThat(r.state()).isEqualTo(RotationState.FINISHED);
    assertThat(stage(1)).isEqualTo(Stage.RETIRED);
    assertThat(keyring()).containsExactly(2);
    assertThat(secrets.holds(NAME).held()).isEmpty();
  }

  @Test
  void propagationConsumers_waitsUntilEveryLiveConsumerAcceptsThenSwitches() {
    setUp(
        rule(Strategy.OVERLAP)
            .propagation(Duration.ofMinutes(10))
            .propagationWaitsForConsumers(true)
            .build());
    heartbeat("web-1", 1, 1);
    heartbeat("web-2", 1, 1);

    Rotation waiting = engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(waiting.state()).isEqualTo(RotationState.SET);
    assertThat(waiting.reason()).hasValueSatisfying(r -> assertThat(r).contains("web-1 web-2"));
    assertThat(stage(2)).isEqualTo(Stage.PENDING);
    assertThat(target.held()).contains("initial");
    assertThat(row().state()).isEqualTo(StatusBoard.State.WAITING);
    assertThat(row().waitingFor()).containsExactly("web-1", "web-2");

    heartbeat("web-1", 1, 1, 2);
    clock.advance(Duration.ofSeconds(5));
    Rotation still = engine.runDue(waiting.id());
    assertThat(still.state()).isEqualTo(RotationState.SET);
    assertThat(row().waitingFor()).containsExactly("web-2");

    heartbeat("web-2", 1, 2, 1);
    clock.advance(Duration.ofSeconds(5));
    Rotation done = engine.runDue(waiting.id());

    assertThat(done.state()).isEqualTo(RotationState.FINISHED);
    assertThat(stage(2)).isEqualTo(Stage.CURRENT);
    assertThat(done.checklist()).noneSatisfy(c -> assertThat(c.name()).isEqualTo("consumers"));
    assertThat(audit.records())
        .filteredOn(rec -> rec.event().action().equals("rotation.waiting"))
        .hasSize(2);
  }

  @Test
  void propagationConsumers_aConsumerThatNeverAccepts_isLeftBehindAtTheBound() {
    setUp(
        rule(Strategy.OVERLAP)
            .propagation(Duration.ofMinutes(10))
            .propagationWaitsForConsumers(true)
            .build());
    heartbeat("web-1", 1, 1);
    Rotation waiting = engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());
    assertThat(waiting.state()).isEqualTo(RotationState.SET);

    clock.advance(Duration.ofMinutes(10));
    heartbeat("web-1", 1, 1);
    Rotation done = engine.runDue(waiting.id());

    assertThat(done.state()).isEqualTo(RotationState.FINISHED);
    assertThat(done.reason()).isEmpty();
    assertThat(done.checklist())
        .anySatisfy(c -> assertThat(c.message()).contains("still behind: web-1"));
    assertThat(audit.records())
        .anySatisfy(rec -> {
          assertThat(rec.event().action()).isEqualTo("rotation.consumers");
          assertThat(rec.event().result()).isEqualTo("timeout");
        });
  }

  @Test
  void propagationConsumers_staleConsumer_isNotWaitedFor() {
    setUp(
        rule(Strategy.OVERLAP)
            .propagation(Duration.ofMinutes(10))
            .propagationWaitsForConsumers(true)
            .build());
    heartbeat("web-1", 1, 1);
    clock.advance(TTL.plusSeconds(1));

    Rotation done = engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(done.state()).isEqualTo(RotationState.FINISHED);
  }

  @Test
  void alternatingUsers_waitsForConsumersOfThePreviousUserBeforeChangingItsPassword() {
    setUp(rule(Strategy.ALTERNATING_USERS).build());
    Rotation first = engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());
    assertThat(first.state()).isEqualTo(RotationState.FINISHED);
    assertThat(stage(1)).isEqualTo(Stage.PREVIOUS);
    heartbeat("pool-1", 1);

    Rotation waiting = engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());

    assertThat(waiting.state()).isEqualTo(RotationState.SET);
    assertThat(waiting.reason()).hasValueSatisfying(r -> assertThat(r).contains("pool-1"));
    String before = target.held().orElseThrow();

    heartbeat("pool-1", 2);
    clock.advance(Duration.ofSeconds(5));
    Rotation done = engine.runDue(waiting.id());

    assertThat(done.state()).isEqualTo(RotationState.FINISHED);
    assertThat(target.held()).isNotEqualTo(Optional.of(before));
    assertThat(stage(3)).isEqualTo(Stage.CURRENT);
  }

  @Test
  void alternatingUsers_consumerThatStays_isLeftBehindAtTheConsumerDeadline() {
    setUp(
        rule(Strategy.ALTERNATING_USERS)
            .consumerDeadline(Optional.of(Duration.ofMinutes(2)))
            .build());
    engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());
    heartbeat("pool-1", 1);
    Rotation waiting = engine.runDue(engine.start(NAME, Optional.empty(), false, "tok").id());
    assertThat(waiting.state()).isEqualTo(RotationState.SET);

    clock.advance(Duration.ofMinutes(2));
    heartbeat("pool-1", 1);
    Rotation done = engine.runDue(waiting.id());

    assertThat(done.state()).isEqualTo(RotationState.FINISHED);
    assertThat(done.checklist())
        .anySatisfy(c -> assertThat(c.message()).contains("still behind: pool-1"));
  }
}
