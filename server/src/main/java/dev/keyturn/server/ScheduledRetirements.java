package dev.keyturn.server;

import static java.util.Objects.requireNonNull;

import dev.keyturn.core.RotationEngine;
import dev.keyturn.core.SecretName;
import dev.keyturn.core.spi.AuditEvent;
import dev.keyturn.core.spi.AuditLog;
import dev.keyturn.core.spi.Store;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler's retirement of previous versions whose grace window has ended, a batch per pass:
 * the rule's target revokes them first (a failure leaves them previous, retried a minute later, and
 * is logged and audited), then the engine retires them with their audit records. Secrets whose
 * expired versions live consumers still hold, and those waiting for their retry, come back from the
 * query at every pass; it asks for that many more, so that they never crowd out the others. Used by
 * the scheduler's loop thread only.
 */
final class ScheduledRetirements {
  private static final Logger log = LoggerFactory.getLogger(ScheduledRetirements.class);

  /** The most secrets held by consumers that the retirement query asks for beyond its batch. */
  private static final int MAX_HELD = 10_000;

  private static final Duration REVOKE_RETRY = Duration.ofMinutes(1);

  private final RotationEngine engine;
  private final Store store;
  private final AuditLog audit;
  private final Clock clock;

  /** Secrets tried per pass at most. */
  private final int batch;

  /** The secrets whose ended grace windows live consumers held at the last pass. */
  private Set<SecretName> held = Set.of();

  /** The secrets whose revocation waited for its retry time at the last pass. */
  private Set<SecretName> waiting = Set.of();

  private final Map<SecretName, Instant> revokeRetryAt = new ConcurrentHashMap<>();

  ScheduledRetirements(RotationEngine engine, Store store, AuditLog audit, Clock clock, int batch) {
    this.engine = requireNonNull(engine, "engine");
    this.store = requireNonNull(store, "store");
    this.audit = requireNonNull(audit, "audit");
    this.clock = requireNonNull(clock, "clock");
    this.batch = batch;
  }

  /**
   * Retires what expired, up to a batch of secrets tried.
   *
   * @return whether the batch was full and retired something: more may be due at once
   */
  boolean pass() {
    // A retry time that has come is as good as none: dropping it keeps the map to the secrets
    // still waiting (one deleted meanwhile would otherwise stay for the server's life).
    Instant now = clock.instant();
    revokeRetryAt.values().removeIf(retryAt -> !retryAt.isAfter(now));
    int asked = batch + Math.min(held.size() + waiting.size(), MAX_HELD);
    Set<SecretName> stillHeld = new HashSet<>();
    Set<SecretName> stillWaiting = new HashSet<>();
    int tried = 0;
    int retired = 0;
    for (SecretName name : store.secrets().withExpiredPrevious(now, asked)) {
      if (tried >= batch) {
        break;
      }
      switch (retireExpired(name)) {
        case HELD -> stillHeld.add(name);
        case WAITING -> stillWaiting.add(name);
        case RETIRED -> {
          tried++;
          retired++;
        }
        case LATER -> tried++;
      }
    }
    held = stillHeld;
    waiting = stillWaiting;
    // A full batch of revocations that keep failing must not ask for the next pass at once.
    return tried >= batch && retired > 0;
  }

  /** What a pass did with a secret whose grace window ended. */
  private enum Retirement {
    /** Its expired versions were retired. */
    RETIRED,
    /** Live consumers hold all of them: nothing moved. */
    HELD,
    /** Its target could not revoke them: tried again later. */
    LATER,
    /** Its target could not revoke them at an earlier pass, and their retry is not due yet. */
    WAITING
  }

  /** Retires what expired of {@code name}. */
  private Retirement retireExpired(SecretName name) {
    Instant retryAt = revokeRetryAt.get(name);
    if (retryAt != null && retryAt.isAfter(clock.instant())) {
      return Retirement.WAITING;
    }
    try {
      // The engine commits the stage moves with their audit records.
      boolean nothing = engine.retireExpired(name).changes().isEmpty();
      revokeRetryAt.remove(name);
      return nothing ? Retirement.HELD : Retirement.RETIRED;
    } catch (RuntimeException e) {
      // The target could not revoke the expired value: it stays previous; retried in a minute.
      revokeRetryAt.put(name, clock.instant().plus(REVOKE_RETRY));
      log.warn("cannot retire the expired versions of {}: {}", name, SafeFailure.describe(e));
      audit.append(
          List.of(
              new AuditEvent(
                  clock.instant(),
                  "scheduler",
                  "engine",
                  "rotation.revoke",
                  Optional.of(name.value()),
                  Optional.empty(),
                  "failed",
                  SafeFailure.describe(e))));
      return Retirement.LATER;
    }
  }
}
